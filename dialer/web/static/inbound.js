/* Appel reçu, sur l'écran de l'agent : sur une ligne partagée, l'agent dit quelle personne
   du registre est au téléphone ; d'un numéro inconnu, il cherche dans le registre la
   personne dont on lui parle et lui rattache l'appel, ou note qui a appelé. */
"use strict";
window.VeilleInbound = (function () {
  const api = window.Veille;

  function holderText(holder) {
    return holder.name + (holder.age !== null ? ", " + holder.age + " ans" : "");
  }

  /* view: la vue de l'appel ; show(view) : l'afficher ; say(text, isError) : un message */
  function showLine(view, show, say) {
    const box = document.getElementById("ligne-partagee");
    if (!box) { return; }
    const holders = view.line_holders || [];
    const list = document.getElementById("ligne-partagee-personnes");
    list.replaceChildren();
    box.hidden = holders.length < 2;
    for (const holder of holders) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "personne-ligne";
      button.dataset.personne = String(holder.id);
      button.textContent = holderText(holder);
      if (holder.id === view.person.id) {
        button.setAttribute("aria-pressed", "true");
        button.disabled = true;
      }
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const url = "/api/v1/agent/calls/" + encodeURIComponent(view.attempt_id) + "/person";
          const chosen = await api.post(url, { person_id: holder.id });
          show(chosen);
          say("Au téléphone : " + chosen.person.name + ". L'appel et sa fiche sont les siens.");
        } catch (error) {
          button.disabled = false;
          say(error.message, true);
        }
      });
      const item = document.createElement("li");
      item.append(button);
      list.append(item);
    }
  }

  // ---- numéro inconnu ----------------------------------------------------------------
  let unknownCall = null; // l'appel en cours d'un numéro inconnu
  let show = null;
  let tell = null;
  const $ = (id) => document.getElementById(id);

  function hideUnknown() {
    unknownCall = null;
    const box = $("numero-inconnu");
    if (box) { box.hidden = true; }
  }

  function showUnknown(message) {
    const box = $("numero-inconnu");
    if (!box) { return; }
    unknownCall = message.attempt_id;
    $("numero-inconnu-numero").textContent = message.number || "numéro masqué";
    $("recherche-registre-q").value = "";
    $("recherche-registre-resultats").replaceChildren();
    $("note-appelant-texte").value = "";
    box.hidden = false;
  }

  async function attach(person) {
    const url = "/api/v1/agent/calls/" + encodeURIComponent(unknownCall) + "/person";
    const view = await api.post(url, { person_id: person.id });
    hideUnknown();
    show(view);
    tell("L'appel est rattaché à " + view.person.name + " : complétez sa fiche.");
  }

  async function search(event) {
    event.preventDefault();
    if (!unknownCall) { return; }
    const q = $("recherche-registre-q").value;
    const list = $("recherche-registre-resultats");
    try {
      const url = "/api/v1/agent/calls/" + encodeURIComponent(unknownCall) + "/register?q=" + encodeURIComponent(q);
      const found = await api.get(url);
      list.replaceChildren();
      if (!found.people.length) { list.append(Object.assign(document.createElement("li"), { textContent: "Personne trouvée dans le registre de la campagne." })); }
      for (const person of found.people) {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.personne = String(person.id);
        button.textContent = holderText(person) + (person.postcode ? " — " + person.postcode : "") + " : rattacher l'appel";
        button.addEventListener("click", async () => {
          button.disabled = true;
          try { await attach(person); } catch (error) { button.disabled = false; tell(error.message, true); }
        });
        const item = document.createElement("li");
        item.append(button);
        list.append(item);
      }
      if (found.more) { tell("D'autres personnes correspondent : précisez la recherche."); }
    } catch (error) {
      tell(error.message, true);
    }
  }

  async function note(event) {
    event.preventDefault();
    if (!unknownCall) { return; }
    try {
      const url = "/api/v1/agent/calls/" + encodeURIComponent(unknownCall) + "/caller-note";
      await api.post(url, { note: $("note-appelant-texte").value });
      tell("Note enregistrée : les superviseurs la verront.");
    } catch (error) {
      tell(error.message, true);
    }
  }

  /* Chaque message de l'écran : l'appel d'un numéro inconnu ouvre le formulaire, la fin de
     l'appel (ou un autre appel) le ferme. */
  function onMessage(message, showCall, say) {
    show = showCall;
    tell = say;
    if (message.type === "unknown_caller") { showUnknown(message); return; }
    if (message.type === "call" || message.type === "withdrawn") { hideUnknown(); return; }
    const state = message.state && message.state.state;
    if (state && !["reserved", "on_call"].includes(state)) { hideUnknown(); }
  }

  function wire() {
    const form = $("recherche-registre");
    if (form) { form.addEventListener("submit", search); }
    const noted = $("note-appelant");
    if (noted) { noted.addEventListener("submit", note); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", wire); } else { wire(); }

  return { showLine, onMessage };
})();
