/* Le panneau « Orienter » d'un appel de la veille sociale : les ressources de l'annuaire
   qui répondent aux besoins cochés au second niveau (et au quartier du ménage),
   l'orientation (information donnée, mise en relation, rendez-vous pris) et l'appel de
   suivi. Relu à chaque réponse et toutes les 3 secondes pendant un appel ; caché pour les
   autres campagnes (le serveur répond 409). */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const api = window.Veille;
  let attempt = null;
  let notHere = null; // a call of another kind of campaign: not asked again
  let shownModes = false;

  function tell(text, isError) {
    const box = $("orienter-message");
    box.textContent = text;
    box.className = isError ? "erreur" : "";
  }

  function item(text) {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }

  function showModes(modes) {
    if (shownModes) { return; }
    $("orienter-modes").replaceChildren(...modes.map((mode, index) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "orienter-mode";
      input.value = mode.id;
      input.checked = index === 0;
      input.addEventListener("change", () => {
        $("orienter-bloc-rdv").hidden = mode.id !== "rendez_vous" || !input.checked;
      });
      label.append(input, " " + mode.label);
      return label;
    }));
    shownModes = true;
  }

  function show(panel) {
    $("orienter").hidden = false;
    showModes(panel.modes);
    $("orienter-besoins").textContent = panel.needs.length
      ? "Besoins exprimés : " + panel.needs.map((need) => need.label).join(", ")
      : "Besoins exprimés : aucun pour l'instant (cochez-les dans le questionnaire).";
    const select = $("orienter-ressource");
    const chosen = select.value;
    select.replaceChildren(...panel.resources.map((resource) => {
      const option = document.createElement("option");
      option.value = String(resource.id);
      option.textContent = resource.name + " (" + resource.area + ")";
      option.dataset.details = resource.needs.map((n) => n.label).join(", ") + " — "
        + resource.contact + (resource.hours ? " — " + resource.hours : "");
      return option;
    }));
    if (chosen) { select.value = chosen; }
    const picked = select.selectedOptions[0];
    $("orienter-details").textContent = picked ? picked.dataset.details : "Aucune ressource ne correspond encore.";
    $("orienter-enregistrer").disabled = panel.resources.length === 0;
    $("orienter-faites").replaceChildren(...panel.orientations.map((o) => item(
      o.resource + " — " + o.need + " — " + o.mode_label
      + (o.appointment_at ? " le " + new Date(o.appointment_at).toLocaleString("fr-FR") : "")
      + (o.note ? " — " + o.note : ""))));
    if (panel.follow_up) {
      tell("Suivi programmé le " + new Date(panel.follow_up.due_at).toLocaleString("fr-FR") + "."
        + (panel.follow_up.outside_slots ? " " + panel.follow_up.outside_slots : ""));
    }
  }

  async function refresh() {
    const etat = $("etat") ? $("etat").dataset.etat : "";
    if (etat !== "on_call" && etat !== "wrap_up") {
      $("orienter").hidden = true;
      attempt = null;
      return;
    }
    try {
      const state = await api.get("/api/v1/agent/state");
      if (!state.attempt_id || state.attempt_id === notHere) { return; }
      if (state.attempt_id !== attempt) {
        attempt = state.attempt_id;
        $("form-orienter").reset();
        $("form-suivi").reset();
        tell("");
      }
      show(await api.get("/api/v1/agent/calls/" + attempt + "/orientation"));
    } catch (error) {
      $("orienter").hidden = true; // not a veille-sociale call, or the call ended
      if (error.message.includes("veille sociale")) { notHere = attempt; }
    }
  }

  $("orienter-ressource").addEventListener("change", () => {
    const picked = $("orienter-ressource").selectedOptions[0];
    $("orienter-details").textContent = picked ? picked.dataset.details : "";
  });

  $("form-orienter").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!attempt) { return; }
    const mode = document.querySelector('input[name="orienter-mode"]:checked');
    const body = {
      resource_id: Number($("orienter-ressource").value),
      mode: mode ? mode.value : "",
      appointment_at: mode && mode.value === "rendez_vous" ? ($("orienter-rdv").value || null) : null,
      note: $("orienter-note").value,
    };
    try {
      show(await api.post("/api/v1/agent/calls/" + attempt + "/orientations", body));
      $("orienter-note").value = "";
      tell("Orientation enregistrée.");
    } catch (error) { tell(error.message, true); }
  });

  $("form-suivi").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!attempt) { return; }
    try {
      show(await api.post("/api/v1/agent/calls/" + attempt + "/follow-up", {
        at: $("suivi-date").value || null,
        note: $("suivi-note").value,
      }));
    } catch (error) { tell(error.message, true); }
  });

  const questions = $("questions");
  if (questions) { questions.addEventListener("change", () => window.setTimeout(refresh, 400)); }
  window.setInterval(refresh, 3000);
  refresh();
})();
