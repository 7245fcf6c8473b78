/* L'écran de l'agent : état du poste, fiche qui s'affiche à la mise en relation (poussée par
   WebSocket), questionnaire utilisable au clavier, réponses enregistrées une à une. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const api = window.Veille;
  let current = null; // { attemptId, view, missing, triedComplete }
  let socket = null;
  let retries = 0;
  let noteTimer = null;

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) { node.setAttribute(name, value); }
    }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function say(text, isError) {
    const box = $("message");
    box.textContent = text;
    box.className = isError ? "erreur" : "";
  }

  async function act(promise) {
    try { return await promise; } catch (error) { say(error.message, true); return null; }
  }

  // ---- état du poste ---------------------------------------------------------------------
  let shownSince = -1;

  function showState(state) {
    if (typeof state.since_ms === "number") {
      if (state.since_ms < shownSince) { return; } // an older state, arriving late
      shownSince = state.since_ms;
    }
    const badge = $("etat");
    badge.textContent = state.label;
    badge.dataset.etat = state.state;
    $("etat-motif").textContent = state.pause_reason ? "(" + state.pause_reason + ")" : "";
    $("connecter-telephone").hidden = state.state !== "logged_out";
    $("disponible").disabled = state.state !== "paused";
    $("pause").disabled = state.state !== "ready";
    $("raccrocher").hidden = state.state !== "on_call";
    $("besoin-aide").hidden = !["reserved", "on_call", "wrap_up"].includes(state.state);
  }

  const ownPhone = $("connecter-telephone").dataset.monTelephone;
  let calling = false;
  $("connecter-telephone").addEventListener("click", async () => {
    if (calling) { return; } // one call at a time (the server refuses more anyway)
    calling = true;
    $("connecter-telephone").disabled = true;
    if (ownPhone) { say("Appel en cours vers votre téléphone (" + ownPhone + ") : décrochez et appuyez sur 1."); }
    try {
      const state = await act(api.post("/api/v1/agent/phone"));
      if (state) {
        showState(state);
        say(ownPhone ? "Votre téléphone est votre ligne. Vous êtes en pause." : "Téléphone connecté. Vous êtes en pause.");
      }
    } finally {
      calling = false;
      $("connecter-telephone").disabled = false;
    }
  });
  $("disponible").addEventListener("click", async () => {
    const state = await act(api.post("/api/v1/agent/ready"));
    if (state) { showState(state); say("Vous êtes disponible : un appel peut arriver à tout moment."); }
  });
  $("form-pause").addEventListener("submit", async (event) => {
    event.preventDefault();
    const state = await act(api.post("/api/v1/agent/pause", {
      reason: $("motif-pause").value, detail: $("precision-pause").value,
    }));
    if (state) { showState(state); say("Vous êtes en pause."); }
  });
  $("raccrocher").addEventListener("click", async () => {
    const state = await act(api.post("/api/v1/agent/hang-up"));
    if (state) { showState(state); }
  });

  $("besoin-aide").addEventListener("click", async () => {
    const raised = await act(api.post("/api/v1/agent/help"));
    if (raised) { say(raised.message); }
  });

  // ---- WebSocket -------------------------------------------------------------------------
  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + window.location.host + "/ws/agent");
    socket.addEventListener("open", () => { retries = 0; document.body.dataset.connecte = "oui"; });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      document.body.dataset.connecte = "non";
      if (event.code === 4401) {
        window.location.assign("/connexion?expiree=1&suite=/agent");
        return;
      }
      retries += 1;
      say("Connexion au serveur perdue, reconnexion…", true);
      window.setTimeout(connect, Math.min(10000, 500 * retries));
    });
  }
  window.setInterval(() => {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send("ping"); }
  }, 25000);

  function handle(message) {
    if (message.state) { showState(message.state); }
    if (window.VeilleInbound) { window.VeilleInbound.onMessage(message, showCall, say); }
    switch (message.type) {
      case "call":
        hideOffer();
        showCall(message.view);
        window.__popAt = Date.now();
        break;
      case "offer":
        showOffer(message.view, message.countdown_s);
        break;
      case "unknown_caller":
        hideOffer();
        showWaiting();
        say("Appel reçu d'un numéro inconnu : " + message.number + ". Personne du registre n'a ce numéro : demandez qui appelle et pour qui ; en cas d'urgence, transférez au 15 ou au 112. Vous redevenez disponible à la fin de l'appel.", true);
        break;
      case "phone_lost":
        say(ownPhone
          ? "Votre ligne est coupée : vous ne recevez plus d'appels. Cliquez « M'appeler sur mon téléphone » pour la rétablir."
          : "Votre téléphone s'est déconnecté : vous ne recevez plus d'appels. Cliquez « Connecter mon téléphone ».", true);
        break;
      case "withdrawn":
        if (current && current.attemptId === message.attempt_id) {
          hideOffer();
          showWaiting();
        }
        break;
      case "ended":
        if (current && current.attemptId === message.attempt_id) {
          say("L'appel est terminé : complétez et validez la fiche.");
        }
        break;
      case "help_acknowledged":
        say(message.text);
        break;
      case "call_failed":
        say("La fiche de l'appel n'a pas pu être chargée. Prévenez votre superviseur.", true);
        break;
      case "expired":
        window.location.assign("/connexion?expiree=1&suite=/agent");
        break;
      default:
        break;
    }
  }

  // ---- la fiche de la personne -----------------------------------------------------------
  function row(list, label, value) {
    if (value === null || value === undefined || value === "") { return; }
    list.append(el("dt", {}, label));
    const dd = el("dd");
    if (value instanceof Node) { dd.append(value); } else { dd.textContent = value; }
    list.append(dd);
  }

  function showPerson(view) {
    const person = view.person;
    $("appel-proche").hidden = !view.relative_call;
    $("appel-recu").hidden = !view.inbound_call;
    $("veille-sociale").hidden = !view.veille_sociale;
    if (window.VeilleInbound) { window.VeilleInbound.showLine(view, showCall, say); }
    $("bloc-nouveau-numero").hidden = !view.relative_call;
    $("nouveau-numero").value = "";
    $("nom-personne").textContent = person.name + (person.age !== null ? ", " + person.age + " ans" : "");
    const list = $("personne");
    list.replaceChildren();
    row(list, "Né(e) le", person.birth_date);
    row(list, "Adresse", [person.address, [person.postcode, person.city].filter(Boolean).join(" ")]
      .filter(Boolean).join(", "));
    row(list, "Quartier", person.district);
    const phones = el("ul");
    for (const phone of person.phones) {
      const text = phone.display + " (" + phone.kind + ")" + (phone.shared ? " — partagé avec une autre personne" : "");
      phones.append(el("li", {}, text));
    }
    row(list, "Téléphones", phones);
    row(list, "Numéro appelé", view.number_display);
    if (person.contact) {
      row(list, "Proche ou aidant", [person.contact.name, person.contact.phone].filter(Boolean).join(" — "));
    }
    if (person.flags.length) {
      const flags = el("ul");
      for (const flag of person.flags) { flags.append(el("li", {}, flag)); }
      row(list, "Signalements", flags);
    }
    row(list, "Campagne", view.campaign.name);
    showHistory(view.history, view.debriefs || []);
  }

  function showHistory(history, debriefs) {
    const box = $("historique-contenu");
    box.replaceChildren();
    for (const debrief of debriefs) {  // a volunteer's screen: the household's debriefs
      const section = el("section", { class: "bilan-precedent" });
      section.append(el("h3", {}, "Bilan du " + debrief.when + " (" + debrief.volunteer + ")"
        + (debrief.flagged ? " — situation signalée" : "")));
      section.append(el("p", {}, debrief.text));
      if (debrief.answer) {
        section.append(el("p", {}, "Réponse de " + debrief.answered_by + " : " + debrief.answer));
      }
      box.append(section);
    }
    if (debriefs.length) { return; }
    if (!history.attempts.length && !history.sheets.length) {
      box.append(el("p", {}, "Premier appel pour cette personne."));
      return;
    }
    for (const sheet of history.sheets) {
      const section = el("section", { class: "fiche-precedente" });
      section.append(el("h3", {}, sheet.when + " — " + sheet.disposition));
      if (sheet.risk_level) { section.append(el("p", {}, "Niveau de risque : " + sheet.risk_level)); }
      const answers = el("ul");
      for (const answer of sheet.answers) { answers.append(el("li", {}, answer.question + " — " + answer.answer)); }
      section.append(answers);
      if (sheet.note) { section.append(el("p", {}, "Note : " + sheet.note)); }
      box.append(section);
    }
    if (history.attempts.length) {
      const attempts = el("ul");
      for (const attempt of history.attempts) { attempts.append(el("li", {}, attempt.when + " : " + attempt.outcome)); }
      box.append(el("h3", {}, "Tentatives d'appel"), attempts);
    }
  }

  // ---- le questionnaire ------------------------------------------------------------------
  function option(question, type, value, label, index) {
    const id = "r-" + question.id + "-" + index;
    const input = el("input", { type, id, name: "r-" + question.id, value });
    const wrapper = el("label", { for: id });
    wrapper.append(input, document.createTextNode(" " + label));
    return wrapper;
  }

  function buildQuestion(question, number) {
    const box = el("fieldset", { class: "question", id: "q-" + question.id, "data-question": question.id });
    const legend = el("legend", {}, number + ". " + question.text + " ");
    legend.append(el("span", { class: "indice" }, "(" + question.hint + (question.required ? "" : ", facultative") + ")"));
    box.append(legend);
    if (question.type === "yes_no") {
      box.append(option(question, "radio", "true", "Oui", "oui"), option(question, "radio", "false", "Non", "non"));
    } else if (question.type === "single_choice") {
      question.choices.forEach((c) => box.append(option(question, "radio", c.id, c.label, c.id)));
    } else if (question.type === "multiple_choice") {
      // One « none » on the screen: the question's own (a choice marked exclusive, e.g.
      // « Rien de particulier »), else the screen's « Aucun de ceux-ci » (an empty answer);
      // either is ticked alone (data-seul). The server says which (none_box).
      question.choices.forEach((c) => {
        const choice = option(question, "checkbox", c.id, c.label, c.id);
        if (c.exclusive) { choice.querySelector("input").dataset.seul = "oui"; }
        box.append(choice);
      });
      if (question.none_box) {
        const none = option(question, "checkbox", "", "Aucun de ceux-ci", "aucun-de-ceux-ci");
        Object.assign(none.querySelector("input").dataset, { aucun: "oui", seul: "oui" });
        box.append(none);
      }
    } else if (question.type === "scale_0_10") {
      for (let point = 0; point <= 10; point += 1) {
        box.append(option(question, "radio", String(point), String(point), String(point)));
      }
    }
    if (!question.required && question.type !== "multiple_choice") {
      box.append(option(question, "radio", "null", "Sans réponse", "sans"));
    }
    return box;
  }

  function setControls(question, value) {
    const inputs = document.querySelectorAll('input[name="r-' + question.id + '"]');
    for (const input of inputs) {
      if (question.type === "multiple_choice") {
        input.checked = Array.isArray(value) && (input.dataset.aucun ? value.length === 0 : value.includes(input.value));
      } else {
        input.checked = value !== undefined && input.value === JSON.stringify(value).replace(/^"|"$/g, "");
      }
    }
  }

  function readControls(question) {
    const inputs = Array.from(document.querySelectorAll('input[name="r-' + question.id + '"]'));
    if (question.type === "multiple_choice") {
      const ticked = inputs.filter((i) => i.checked && !i.dataset.aucun).map((i) => i.value);
      const none = inputs.find((i) => i.dataset.aucun);
      if (ticked.length) { return ticked; }
      return none && none.checked ? [] : undefined;
    }
    const chosen = inputs.find((i) => i.checked);
    if (!chosen) { return undefined; }
    if (chosen.value === "null") { return null; }
    if (question.type === "yes_no") { return chosen.value === "true"; }
    if (question.type === "scale_0_10") { return parseInt(chosen.value, 10); }
    return chosen.value;
  }

  function applyVisibility(visible) {
    const shown = new Set(visible);
    for (const question of current.view.questionnaire.questions) {
      $("q-" + question.id).hidden = !shown.has(question.id);
    }
  }

  function showEmergency(emergency) {
    const box = $("urgence");
    if (!emergency) { return; } // une urgence signalée reste affichée jusqu'à la fin de l'appel
    $("urgence-consignes").textContent = emergency.agent_instructions;
    if (box.hidden) {
      box.hidden = false;
      window.__emergencyAt = Date.now();
    }
  }

  /* Le nombre de questions obligatoires sans réponse ; elles ne sont signalées en rouge
     qu'après une tentative de validation. */
  function showMissing(missing) {
    current.missing = missing;
    document.querySelectorAll("fieldset.question").forEach((f) => f.classList.remove("manquante"));
    if (current.triedComplete) {
      for (const id of missing) { $("q-" + id).classList.add("manquante"); }
    }
    $("manquantes").textContent = missing.length
      ? missing.length + " question(s) obligatoire(s) sans réponse."
      : "Toutes les questions obligatoires ont une réponse.";
  }

  // The skip logic and the emergency answers are the server's: each saved answer returns
  // the visible questions and the emergency instructions, which the screen applies.
  // Replies may arrive out of order when answers are typed quickly: only the reply to the
  // latest answer may change what is visible (an older one would hide a question just shown).
  let answerSerial = 0;
  let answersApplied = Promise.resolve(); // settles once the latest answer's reply is applied

  function answerChanged(question) {
    answersApplied = saveAnswer(question);
  }

  async function saveAnswer(question) {
    const serial = ++answerSerial;
    let value = readControls(question);
    if (question.type === "multiple_choice") {
      const none = document.querySelector('input[name="r-' + question.id + '"][data-aucun]');
      if (none && Array.isArray(value) && value.length && none.checked) { none.checked = false; }
    }
    const cleared = value === undefined;
    const attemptId = current.attemptId;
    const outcome = await act(api.post("/api/v1/agent/calls/" + encodeURIComponent(attemptId) + "/answers", {
      question_id: question.id, value: cleared ? null : value, cleared,
    }));
    if (!outcome || !current || current.attemptId !== attemptId) { return; }
    showEmergency(outcome.emergency);
    if (serial !== answerSerial) { return; } // a later answer's reply will decide
    applyVisibility(outcome.visible);
    showMissing(outcome.missing);
    say("Réponse enregistrée.");
  }

  function visibleFieldsets() {
    return Array.from(document.querySelectorAll("fieldset.question")).filter((f) => !f.hidden);
  }

  function focusQuestion(fieldset) {
    const checked = fieldset.querySelector("input:checked");
    (checked || fieldset.querySelector("input")).focus();
  }

  function onKey(event) {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") { return; }
    event.preventDefault();
    const input = event.target;
    if (input.type === "radio" && !input.checked) {
      input.checked = true;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    const fieldset = input.closest("fieldset");
    window.setTimeout(async () => {
      await answersApplied; // the answer just given may show or hide the next questions
      const fieldsets = visibleFieldsets();
      const next = fieldsets[fieldsets.indexOf(fieldset) + 1];
      if (next) { focusQuestion(next); } else { $("note").focus(); }
    }, 0);
  }

  function showQuestionnaire(view) {
    const questionnaire = view.questionnaire;
    $("titre-questionnaire").textContent = questionnaire.title + " (version " + questionnaire.version + ")";
    $("consignes-texte").textContent = questionnaire.guidance;
    const box = $("questions");
    box.replaceChildren(...questionnaire.questions.map((q, i) => buildQuestion(q, i + 1)));
    for (const question of questionnaire.questions) {
      setControls(question, view.sheet.answers[question.id]);
    }
    $("note").value = view.sheet.note || "";
    $("issue").value = "";
    $("bloc-rappel").hidden = true;
    $("urgence").hidden = true;
    $("manquantes").textContent = "";
    const locked = view.sheet.submitted;
    $("questionnaire").querySelectorAll("input, select, textarea, button").forEach((c) => { c.disabled = locked; });
    applyVisibility(view.sheet.visible);
    showEmergency(view.sheet.emergency);
  }

  function showCall(view) {
    current = { attemptId: view.attempt_id, view };
    $("attente").hidden = true;
    $("appel").hidden = false;
    showPerson(view);
    showQuestionnaire(view);
    say(view.sheet.submitted ? "La fiche de cet appel est déjà validée." : "Appel en cours : " + view.person.name + ".");
    const first = visibleFieldsets()[0];
    if (first && !view.sheet.submitted) { focusQuestion(first); }
  }

  function showWaiting() {
    current = null;
    $("appel").hidden = true;
    $("attente").hidden = false;
  }

  // ---- la personne proposée (aperçu, rappel réservé) -------------------------------------
  let countdownTimer = null;

  function showOffer(view, countdownS) {
    showCall(view);
    $("proposition").hidden = false;
    $("questionnaire").querySelectorAll("input, select, textarea, button").forEach((c) => { c.disabled = true; });
    say("Personne proposée : " + view.person.name + ". Appelez-la ou passez-la.");
    window.clearInterval(countdownTimer);
    $("compte-a-rebours").textContent = "";
    if (typeof countdownS === "number") {
      let left = countdownS;
      const tick = () => {
        $("compte-a-rebours").textContent = "Appel automatique dans " + left + " s.";
        left -= 1;
        if (left < 0) { window.clearInterval(countdownTimer); }
      };
      tick();
      countdownTimer = window.setInterval(tick, 1000);
    }
    $("appeler").focus();
  }

  function hideOffer() {
    window.clearInterval(countdownTimer);
    $("proposition").hidden = true;
    $("compte-a-rebours").textContent = "";
  }

  $("appeler").addEventListener("click", async () => {
    const result = await act(api.post("/api/v1/agent/offer/call"));
    if (!result) { return; }
    hideOffer();
    showState(result.state);
    say("Appel en cours vers " + current.view.person.name + " : la fiche s'ouvre dès qu'elle décroche.");
  });
  $("form-passer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const state = await act(api.post("/api/v1/agent/offer/pass", {
      reason: $("motif-passer").value, detail: $("precision-passer").value,
    }));
    if (!state) { return; }
    hideOffer();
    showWaiting();
    showState(state);
    say("Personne passée : elle sera proposée plus tard.");
  });

  $("questions").addEventListener("change", (event) => {
    const fieldset = event.target.closest("fieldset.question");
    if (!fieldset || !current) { return; }
    const question = current.view.questionnaire.questions.find((q) => q.id === fieldset.dataset.question);
    if (question.type === "multiple_choice" && event.target.checked) {
      // a « none » ticked unticks every other box; another box ticked unticks the « none »
      const others = event.target.dataset.seul ? "input" : "input[data-seul]";
      fieldset.querySelectorAll(others).forEach((i) => { if (i !== event.target) { i.checked = false; } });
    }
    answerChanged(question);
  });
  $("questions").addEventListener("keydown", onKey);

  async function saveNote() {
    if (!current) { return; }
    window.clearTimeout(noteTimer);
    await act(api.post("/api/v1/agent/calls/" + encodeURIComponent(current.attemptId) + "/note", { note: $("note").value }));
  }
  $("note").addEventListener("change", saveNote);
  $("note").addEventListener("input", () => {
    window.clearTimeout(noteTimer);
    noteTimer = window.setTimeout(saveNote, 1500);
  });
  $("issue").addEventListener("change", () => {
    $("bloc-rappel").hidden = $("issue").value !== "callback";
  });

  $("questionnaire").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) { return; }
    if (!$("issue").value) {
      say("Choisissez l'issue de l'appel.", true);
      $("issue").focus();
      return;
    }
    if ($("issue").value === "complete") {
      current.triedComplete = true;
      showMissing(current.missing || []);
    }
    const result = await act(api.post("/api/v1/agent/calls/" + encodeURIComponent(current.attemptId) + "/sheet", {
      disposition: $("issue").value,
      note: $("note").value,
      callback_at: $("issue").value === "callback" ? $("rappel").value : null,
      nouveau_numero: $("bloc-nouveau-numero").hidden ? null : $("nouveau-numero").value,
    }));
    if (!result) { return; }
    showState(result.state);
    const summary = "Fiche validée : "
      + (result.risk_level ? "niveau de risque " + result.risk_level + ", " : "")
      + result.alerts + " alerte(s) transmise(s).";
    if (result.wrap_up === "after_call") {
      $("questionnaire").querySelectorAll("input, select, textarea, button").forEach((c) => { c.disabled = true; });
      say(summary + " Raccrochez pour passer à l'appel suivant.");
    } else {
      showWaiting();
      say(summary);
    }
  });

  connect();
})();
