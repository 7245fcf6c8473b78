/* Requêtes vers le serveur avec le jeton CSRF de la session. */
"use strict";
window.Veille = (function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.getAttribute("content") : "";

  async function send(method, url, body) {
    const options = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      throw new Error("Le serveur ne répond pas. Vérifiez votre connexion.");
    }
    if (response.status === 401) {
      window.location.assign("/connexion?expiree=1&suite=" + encodeURIComponent(window.location.pathname));
      throw new Error("Session expirée.");
    }
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    if (!response.ok) {
      throw new Error(data.erreur || "La demande n'a pas abouti.");
    }
    return data;
  }

  return {
    get: (url) => send("GET", url),
    post: (url, body) => send("POST", url, body === undefined ? {} : body),
  };
})();
