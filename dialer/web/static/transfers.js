/* Le transfert d'un appel depuis l'écran de l'agent : les numéros proposés (réglages, proche
   de la fiche), transfert accompagné ou conférence à trois, puis réunir, quitter ou
   reprendre la personne. L'état est relu toutes les secondes pendant un appel. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const api = window.Veille;
  let shownFor = null; // the attempt whose numbers are shown

  function tell(text, isError) {
    const box = $("etat-transfert");
    box.textContent = text;
    box.className = isError ? "erreur" : "";
  }

  function showNumbers(choices) {
    const select = $("numero-transfert");
    select.replaceChildren(...choices.offered.map((target) => {
      const option = document.createElement("option");
      option.value = target.number;
      option.textContent = target.label + " — " + target.number;
      return option;
    }));
    $("numero-libre-zone").hidden = !choices.free_numbers;
  }

  function showTransfer(current) {
    const busy = current !== null;
    $("transfert-accompagne").disabled = busy;
    $("transfert-conference").disabled = busy;
    $("transfert-joindre").hidden = !busy || current.state !== "consulting";
    $("transfert-quitter").hidden = !busy || !["consulting", "conference"].includes(current.state);
    $("transfert-reprendre").hidden = !busy;
    if (busy) { tell(current.kind_label + " vers " + current.number + " : " + current.state_label); }
    $("transfert").dataset.etat = busy ? current.state : "aucun";
  }

  async function refresh() {
    const onCall = $("etat").dataset.etat === "on_call";
    $("transfert").hidden = !onCall;
    if (!onCall) { shownFor = null; return; }
    try {
      const choices = await api.get("/api/v1/agent/transfer");
      const attempt = choices.current ? choices.current.attempt_id : "appel";
      if (shownFor === null) { showNumbers(choices); shownFor = attempt; }
      showTransfer(choices.current);
    } catch (error) { tell(error.message, true); }
  }

  $("form-transfert").addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = $("numero-libre").value.trim();
    const number = typed || $("numero-transfert").value;
    const kind = event.submitter ? event.submitter.dataset.kind : "warm";
    try {
      const transfer = await api.post("/api/v1/agent/transfer", { number, kind });
      showTransfer(transfer);
    } catch (error) { tell(error.message, true); }
  });
  for (const id of ["transfert-joindre", "transfert-quitter", "transfert-reprendre"]) {
    $(id).addEventListener("click", async () => {
      try {
        const transfer = await api.post("/api/v1/agent/transfer/" + $(id).dataset.step);
        const over = ["handed_over", "ended"].includes(transfer.state);
        showTransfer(over ? null : transfer);
        if (over) { tell(transfer.state_label); }
      } catch (error) { tell(error.message, true); }
    });
  }
  window.setInterval(refresh, 1000);
  refresh();
})();
