/* Tableau de bord : reçoit un instantané par seconde sur le WebSocket /ws/tableau-de-bord
   et met à jour les chiffres (data-champ), les barres de l'entonnoir (data-barre) et la
   prévision. Aucune donnée personnelle : seulement des comptes. */
"use strict";
(function () {
  const root = document.getElementById("tableau");
  const zone = root.dataset.fuseau || "Europe/Paris";
  const updated = document.getElementById("mis-a-jour");
  const status = document.getElementById("connexion");
  const integer = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 1 });
  const dateTime = new Intl.DateTimeFormat("fr-FR", {
    timeZone: zone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const clock = new Intl.DateTimeFormat("fr-FR", {
    timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const CAMPAIGN_STATES = { running: "en cours", paused: "en pause" };
  let delay = 1000;
  window.__dashboardUpdates = 0;

  function lookup(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
  }

  function seconds(value) {
    const total = Math.round(value);
    const minutes = Math.floor(total / 60);
    return minutes > 0 ? `${minutes} min ${String(total % 60).padStart(2, "0")} s` : `${total} s`;
  }

  function hours(value) {
    const total = Math.round(value / 60);
    return `${Math.floor(total / 60)} h ${String(total % 60).padStart(2, "0")} min`;
  }

  function format(value, kind) {
    switch (kind) {
      case "pourcent": return percent.format(value);
      case "decimal": return decimal.format(value);
      case "entier": return integer.format(value);
      case "duree": return seconds(value);
      case "heures": return hours(value);
      case "date": return dateTime.format(new Date(value));
      case "etat-campagne": return CAMPAIGN_STATES[value] || value;
      default: return typeof value === "number" ? integer.format(value) : String(value);
    }
  }

  function show(data) {
    for (const element of root.querySelectorAll("[data-champ]")) {
      const value = lookup(data, element.dataset.champ);
      element.textContent = value == null ? (element.dataset.vide || "—") : format(value, element.dataset.format);
    }
    for (const element of root.querySelectorAll("[data-visible]")) {
      element.hidden = lookup(data, element.dataset.visible) == null;
    }
    const register = lookup(data, "funnel.register") || 0;
    for (const element of root.querySelectorAll("[data-barre]")) {
      const value = lookup(data, element.dataset.barre) || 0;
      element.max = Math.max(register, value, 1);
      element.value = value;
    }
    for (const element of root.querySelectorAll("[data-part]")) {
      const value = lookup(data, element.dataset.part);
      element.textContent = register && value != null ? percent.format(value / register) : "—";
    }
    for (const element of root.querySelectorAll("[data-jauge]")) {
      const value = lookup(data, element.dataset.jauge) || 0;
      element.value = value;
      element.textContent = percent.format(value);
    }
    updated.textContent = clock.format(new Date(data.at));
    window.__dashboardUpdates += 1;
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}/ws/tableau-de-bord`);
    socket.addEventListener("open", () => {
      delay = 1000;
      root.dataset.connecte = "oui";
      status.textContent = "";
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "snapshot") { show(message.data); }
    });
    socket.addEventListener("close", (event) => {
      root.dataset.connecte = "non";
      if (event.code === 4401) {
        window.location.assign("/connexion?expiree=1&suite=/tableau-de-bord");
        return;
      }
      if (event.code === 4403) {
        status.textContent = "(accès refusé)";
        return;
      }
      status.textContent = "(connexion perdue, nouvel essai…)";
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    });
  }

  connect();
})();
