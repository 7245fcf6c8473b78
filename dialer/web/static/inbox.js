/* Boîte d'alertes : signale l'arrivée de nouvelles alertes sans recharger la page (une note
   en cours de saisie n'est jamais perdue). */
"use strict";
(function () {
  const summary = document.getElementById("resume");
  const banner = document.getElementById("nouvelles");
  const shown = parseInt(summary.dataset.newest, 10) || 0;
  async function check() {
    try {
      const response = await fetch("/api/v1/alerts/summary", { credentials: "same-origin" });
      if (response.status === 401) {
        window.location.assign("/connexion?expiree=1&suite=/alertes");
        return;
      }
      const data = await response.json();
      if (data.newest > shown) { banner.hidden = false; }
    } catch (error) {
      /* réseau indisponible : on réessaiera */
    }
  }
  window.setInterval(check, 15000);
})();
