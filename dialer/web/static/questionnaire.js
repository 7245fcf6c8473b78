/* Logique de filtrage du questionnaire, mêmes règles que dialer/core/questionnaire.py :
   une question avec show_if n'est visible que si sa condition vaut sur les réponses des
   questions visibles qui la précèdent ; une condition sur une question sans réponse,
   répondue « sans réponse » ou masquée est fausse. Le serveur fait autorité. */
"use strict";
window.Questionnaire = (function () {
  function holds(condition, answers) {
    switch (condition.op) {
      case "any_of": return condition.conditions.some((c) => holds(c, answers));
      case "all_of": return condition.conditions.every((c) => holds(c, answers));
      case "risk_level_at_least": return false;
      default: break;
    }
    const value = answers[condition.question];
    if (value === undefined || value === null) { return false; }
    switch (condition.op) {
      case "equals":
        return typeof value === typeof condition.value && value === condition.value;
      case "includes": return Array.isArray(value) && value.includes(condition.choice);
      case "at_least": return typeof value === "number" && value >= condition.value;
      case "at_most": return typeof value === "number" && value <= condition.value;
      default: return false;
    }
  }

  /* Les questions visibles (ids) et les réponses qui comptent. */
  function visibility(questionnaire, answers) {
    const visible = [];
    const effective = {};
    for (const question of questionnaire.questions) {
      if (question.show_if === null || holds(question.show_if, effective)) {
        visible.push(question.id);
        if (Object.prototype.hasOwnProperty.call(answers, question.id)) {
          effective[question.id] = answers[question.id];
        }
      }
    }
    return { visible, effective };
  }

  /* Les consignes de la première réponse d'urgence donnée, ou null. */
  function emergency(questionnaire, answers) {
    const { effective } = visibility(questionnaire, answers);
    const found = questionnaire.emergencies.find((e) => holds(e.when, effective));
    return found || null;
  }

  return { holds, visibility, emergency };
})();
