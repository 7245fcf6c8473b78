/* « Retrait de l'accord » d'un appel de la veille sociale : qui le demande (la personne,
   un proche ou représentant), ce qui est retiré (les appels réguliers ; les campagnes
   d'urgence seulement si le foyer le demande), puis la confirmation. Montré avec le
   panneau « Orienter » (appels de la veille sociale seulement). */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const api = window.Veille;
  let attempt = null;

  function tell(text, isError) {
    const box = $("retrait-message");
    box.textContent = text;
    box.className = isError ? "erreur" : "";
  }

  async function follow() {
    const shown = !$("orienter").hidden;
    $("retrait-accord").hidden = !shown;
    if (!shown) { return; }
    try {
      const state = await api.get("/api/v1/agent/state");
      if (state.attempt_id && state.attempt_id !== attempt) {
        attempt = state.attempt_id;
        $("form-retrait").reset();
        $("form-retrait").hidden = true;
        $("retrait-ouvrir").hidden = false;
        tell("");
      }
    } catch (error) { /* the call ended: the panel hides with « Orienter » */ }
  }

  $("retrait-ouvrir").addEventListener("click", () => {
    $("form-retrait").hidden = false;
    $("retrait-ouvrir").hidden = true;
  });
  $("retrait-annuler").addEventListener("click", () => {
    $("form-retrait").reset();
    $("form-retrait").hidden = true;
    $("retrait-ouvrir").hidden = false;
  });

  $("form-retrait").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!attempt) { return; }
    const who = document.querySelector('input[name="retrait-qui"]:checked');
    const body = {
      regular_calls: $("retrait-reguliers").checked,
      emergency_campaigns: $("retrait-urgence").checked,
      confirmed: true,
    };
    if (who) { body.on_behalf_of = who.value; }
    try {
      const left = await api.post("/api/v1/agent/calls/" + attempt + "/consent/withdraw", body);
      $("form-retrait").hidden = true;
      tell((left.changed ? "Retrait de l'accord enregistré." : "Aucun accord en cours à retirer.")
        + (left.regular_calls ? "" : " Les bénévoles n'appelleront plus ce foyer.")
        + (left.emergency_campaigns ? " Il reste dans les campagnes d'urgence."
          : " Il n'est plus dans les campagnes d'urgence de la veille sociale."));
    } catch (error) { tell(error.message, true); }
  });

  window.setInterval(follow, 1000);
  follow();
})();
