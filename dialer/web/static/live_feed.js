/* Le fil en direct des écrans de supervision : un instantané par seconde sur le WebSocket
   /ws/tableau-de-bord (tableau de bord, tableau des agents de /supervision). Les libellés
   viennent du serveur ; ce fichier ne fait que les placer. */
"use strict";
window.FilDirect = (function () {
  function duration(value) {
    const total = Math.max(0, Math.floor(value));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, "0");
    if (hours > 0) { return `${hours} h ${String(minutes).padStart(2, "0")} min`; }
    return minutes > 0 ? `${minutes} min ${seconds} s` : `${total} s`;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  /* Une ligne par agent : nom, état, temps dans l'état, durée de l'appel, motif de pause. */
  function renderAgents(tbody, rows) {
    const fresh = document.createDocumentFragment();
    for (const agent of rows) {
      const tr = document.createElement("tr");
      tr.dataset.agent = agent.agent;
      tr.dataset.etat = agent.state;
      tr.dataset.niveau = agent.level;
      tr.dataset.depuis = String(Math.floor(agent.in_state_s));
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = agent.agent;
      tr.appendChild(name);
      cell(tr, agent.state_label, "etat-agent");
      cell(tr, duration(agent.in_state_s), "depuis");
      cell(tr, agent.call_s == null ? "" : duration(agent.call_s), "appel");
      cell(tr, agent.pause_reason || "", "motif");
      fresh.appendChild(tr);
    }
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.className = "vide";
      const td = cell(tr, "Aucun agent connecté.");
      td.colSpan = tbody.closest("table").querySelectorAll("thead th").length;
      fresh.appendChild(tr);
    }
    tbody.replaceChildren(fresh);
  }

  /* Se connecte et appelle onSnapshot(données) à chaque instantané ; reconnexion avec un
     délai croissant ; retour à la connexion quand la session a pris fin. */
  function connect(root, status, onSnapshot) {
    let delay = 1000;
    function open() {
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      const chosen = root.dataset.campagne ? `?campagne=${encodeURIComponent(root.dataset.campagne)}` : "";
      const socket = new WebSocket(`${scheme}//${window.location.host}/ws/tableau-de-bord${chosen}`);
      socket.addEventListener("open", () => {
        delay = 1000;
        root.dataset.connecte = "oui";
        if (status) { status.textContent = ""; }
      });
      socket.addEventListener("message", (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "snapshot") { onSnapshot(message.data); }
        if (message.type === "error" && status) { status.textContent = `(${message.message})`; }
      });
      socket.addEventListener("close", (event) => {
        root.dataset.connecte = "non";
        if (event.code === 4401) {
          window.location.assign("/connexion?expiree=1&suite=" + encodeURIComponent(window.location.pathname));
          return;
        }
        if (event.code === 4403) {
          if (status) { status.textContent = "(accès refusé)"; }
          return;
        }
        if (event.code === 4404 || event.code === 4422) { return; }  /* campagne inconnue ou terminée : message déjà affiché */
        if (status) { status.textContent = "(connexion perdue, nouvel essai…)"; }
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      });
    }
    open();
  }

  return { connect, renderAgents, duration };
})();
