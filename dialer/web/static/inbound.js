/* Appel reçu, sur l'écran de l'agent : sur une ligne partagée, l'agent dit quelle personne
   du registre est au téléphone ; l'appel (son contact, sa fiche) devient le sien. */
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

  return { showLine };
})();
