/* Aide pendant les appels, sur le tableau de bord : les demandes d'aide des agents (lues
   toutes les 2 s sur /api/v1/help-requests), leur prise en charge, et l'écoute d'un appel
   (écouter, parler à l'agent, rejoindre l'appel) depuis le téléphone du superviseur. */
"use strict";
(function () {
  const section = document.getElementById("aide-appels");
  if (!section) { return; }
  const api = window.Veille;
  const tbody = document.querySelector("#demandes-aide tbody");
  const message = document.getElementById("message-aide");
  const canAcknowledge = section.dataset.priseEnCharge === "oui";
  const form = document.getElementById("form-ecoute");
  window.__helpUpdates = 0;

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "erreur" : "";
  }

  function since(iso) {
    if (!iso) { return "—"; }
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    const minutes = Math.floor(seconds / 60);
    return minutes > 0 ? `${minutes} min ${String(seconds % 60).padStart(2, "0")} s` : `${seconds} s`;
  }

  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function render(requests) {
    if (requests.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "vide";
      cell(tr, "Aucune demande d'aide.").colSpan = 5;
      tbody.replaceChildren(tr);
      return;
    }
    const rows = requests.map((request) => {
      const tr = document.createElement("tr");
      tr.dataset.demande = String(request.id);
      tr.dataset.agent = request.agent;
      tr.className = "demande-aide";
      cell(tr, request.agent);
      cell(tr, request.person || "—");
      cell(tr, request.call_ended ? "appel terminé" : since(request.call_since));
      cell(tr, since(request.raised_at));
      const actions = cell(tr, "");
      if (canAcknowledge) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "Prendre en charge";
        button.addEventListener("click", async () => {
          try {
            const done = await api.post(`/api/v1/help-requests/${request.id}/acknowledge`);
            say(`Demande de ${done.request.agent} prise en charge.`);
            refresh();
          } catch (error) { say(error.message, true); }
        });
        actions.appendChild(button);
      }
      return tr;
    });
    tbody.replaceChildren(...rows);
  }

  function agentsOnCall() {
    if (!form) { return; }
    const select = document.getElementById("agent-ecoute");
    const onCall = Array.from(document.querySelectorAll('#agents-en-direct tbody tr[data-etat="on_call"]'))
      .map((tr) => tr.dataset.agent);
    const shown = Array.from(select.options).map((o) => o.value).filter((v) => v);
    if (onCall.join() === shown.join()) { return; }
    const chosen = select.value;
    const options = onCall.map((agent) => new Option(agent, agent, false, agent === chosen));
    if (options.length === 0) { options.push(new Option("— aucun agent en appel —", "")); }
    select.replaceChildren(...options);
  }

  async function refresh() {
    try {
      render((await api.get("/api/v1/help-requests")).requests);
      window.__helpUpdates += 1;
    } catch (error) { say(error.message, true); }
    agentsOnCall();
  }

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const agent = document.getElementById("agent-ecoute").value;
      const mode = event.submitter ? event.submitter.dataset.mode : "listen";
      if (!agent) { say("Choisissez un agent en appel.", true); return; }
      say("Votre téléphone sonne…");
      try {
        const started = await api.post(`/api/v1/agents/${encodeURIComponent(agent)}/listening`, { mode });
        say(`${started.label} : appel de ${started.agent}. Raccrochez pour terminer.`);
      } catch (error) { say(error.message, true); }
    });
  }
  refresh();
  window.setInterval(refresh, 2000);
})();
