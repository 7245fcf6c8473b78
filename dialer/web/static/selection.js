/* La sélection d'une campagne : l'effectif recompté à chaque changement des filtres. */
"use strict";
(function () {
  const form = document.getElementById("selection");
  const shown = document.getElementById("effectif-nombre");
  if (!form || !shown) {
    return;
  }
  function words(name) {
    return form.elements[name].value.split(/[,;]/).map((w) => w.trim()).filter((w) => w);
  }
  function age(name) {
    const text = form.elements[name].value.trim();
    return text === "" ? null : Number(text);
  }
  function checked(name) {
    return Array.from(form.querySelectorAll(`input[name="${name}"]:checked`)).map((box) => box.value);
  }
  let asked = 0;
  async function recount() {
    const mine = ++asked;
    const selection = {
      lists: checked("lists"),
      districts: words("districts"),
      postcodes: words("postcodes"),
      min_age: age("min_age"),
      max_age: age("max_age"),
      flags: checked("flags"),
    };
    try {
      // counted as this campaign enrols (veille sociale: only valid consents)
      const campaign_id = Number(form.dataset.campagne) || null;
      const answer = await window.Veille.post("/api/v1/selection/count", { selection, campaign_id });
      if (mine === asked) {
        shown.textContent = String(answer.count);
      }
    } catch (error) {
      if (mine === asked) {
        shown.textContent = "?";
        shown.title = error.message;
      }
    }
  }
  form.addEventListener("change", recount);
  form.addEventListener("input", recount);
})();
