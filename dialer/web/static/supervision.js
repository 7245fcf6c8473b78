/* Supervision : le tableau des agents suit le fil en direct du tableau de bord. */
"use strict";
(function () {
  const root = document.getElementById("agents-supervision");
  const tbody = root.querySelector("tbody");
  FilDirect.connect(root, document.getElementById("connexion"), (data) => {
    FilDirect.renderAgents(tbody, data.live.seats || []);
  });
})();
