/* Tableau de bord : reçoit un instantané par seconde sur le WebSocket /ws/tableau-de-bord
   et met à jour les chiffres (data-champ), les barres de l'entonnoir (data-barre) et la
   prévision. Aucune donnée personnelle : seulement des comptes. */
"use strict";
(function () {
  const root = document.getElementById("tableau");
  const zone = root.dataset.fuseau || "Europe/Paris";
  const updated = document.getElementById("mis-a-jour");
  const status = document.getElementById("connexion");
  const integer = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 1 });
  const dateTime = new Intl.DateTimeFormat("fr-FR", {
    timeZone: zone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const clock = new Intl.DateTimeFormat("fr-FR", {
    timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const CAMPAIGN_STATES = { running: "en cours", paused: "en pause" };
  window.__dashboardUpdates = 0;

  function lookup(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
  }

  function seconds(value) {
    const total = Math.round(value);
    const minutes = Math.floor(total / 60);
    return minutes > 0 ? `${minutes} min ${String(total % 60).padStart(2, "0")} s` : `${total} s`;
  }

  function hours(value) {
    const total = Math.round(value / 60);
    return `${Math.floor(total / 60)} h ${String(total % 60).padStart(2, "0")} min`;
  }

  function format(value, kind) {
    switch (kind) {
      case "pourcent": return percent.format(value);
      case "decimal": return decimal.format(value);
      case "entier": return integer.format(value);
      case "duree": return seconds(value);
      case "heures": return hours(value);
      case "date": return dateTime.format(new Date(value));
      case "etat-campagne": return CAMPAIGN_STATES[value] || value;
      default: return typeof value === "number" ? integer.format(value) : String(value);
    }
  }

  function show(data) {
    for (const element of root.querySelectorAll("[data-champ]")) {
      const value = lookup(data, element.dataset.champ);
      element.textContent = value == null ? (element.dataset.vide || "—") : format(value, element.dataset.format);
    }
    for (const element of root.querySelectorAll("[data-visible]")) {
      element.hidden = lookup(data, element.dataset.visible) == null;
    }
    const register = lookup(data, "funnel.register") || 0;
    for (const element of root.querySelectorAll("[data-barre]")) {
      const value = lookup(data, element.dataset.barre) || 0;
      element.max = Math.max(register, value, 1);
      element.value = value;
    }
    for (const element of root.querySelectorAll("[data-part]")) {
      const value = lookup(data, element.dataset.part);
      element.textContent = register && value != null ? percent.format(value / register) : "—";
    }
    for (const element of root.querySelectorAll("[data-jauge]")) {
      const value = lookup(data, element.dataset.jauge) || 0;
      element.value = value;
      element.textContent = percent.format(value);
    }
    updated.textContent = clock.format(new Date(data.at));
    window.__dashboardUpdates += 1;
  }

  const SVG = "http://www.w3.org/2000/svg";
  const SERIES = [["answered", "decroches"], ["abandoned", "abandons"], ["useful", "utiles"]];
  const hourMinute = new Intl.DateTimeFormat("fr-FR", { timeZone: zone, hour: "2-digit", minute: "2-digit" });

  /* La tendance du jour : trois barres par tranche (décrochés, abandons, contacts utiles). */
  function drawTrend(buckets) {
    const box = document.getElementById("tendance");
    const width = 360, height = 110, base = 92;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("class", "graphe");
    const most = Math.max(1, ...buckets.flatMap((b) => SERIES.map(([key]) => b[key])));
    const slot = width / Math.max(buckets.length, 1);
    const bar = Math.max(1, (slot - 2) / SERIES.length);
    buckets.forEach((bucket, index) => {
      SERIES.forEach(([key, name], serie) => {
        const h = Math.round((bucket[key] / most) * (base - 4));
        const rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("x", String(index * slot + 1 + serie * bar));
        rect.setAttribute("y", String(base - h));
        rect.setAttribute("width", String(bar));
        rect.setAttribute("height", String(h));
        rect.setAttribute("class", name);
        const title = document.createElementNS(SVG, "title");
        title.textContent = `${hourMinute.format(new Date(bucket.start))} : ${bucket.answered} décrochés, ${bucket.abandoned} abandons, ${bucket.useful} contacts utiles`;
        rect.appendChild(title);
        svg.appendChild(rect);
      });
      if (index % Math.ceil(buckets.length / 6) === 0) {
        const label = document.createElementNS(SVG, "text");
        label.setAttribute("x", String(index * slot + 1));
        label.setAttribute("y", String(height - 4));
        label.textContent = hourMinute.format(new Date(bucket.start));
        svg.appendChild(label);
      }
    });
    box.replaceChildren(svg);
    box.dataset.tranches = String(buckets.length);
  }

  function showAlarms(alarms) {
    const list = document.getElementById("alarmes");
    const items = alarms.map((alarm) => {
      const li = document.createElement("li");
      li.dataset.niveau = alarm.level;
      li.dataset.type = alarm.kind;
      li.textContent = alarm.text;
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "aucune";
      li.textContent = "Aucune alarme.";
      items.push(li);
    }
    list.replaceChildren(...items);
  }

  /* Les campagnes en cours ou en pause, chacune un lien ; celle affichée sans lien. */
  function showCampaigns(campaigns) {
    const nav = document.getElementById("campagnes");
    if (!nav || !campaigns) { return; }
    const chosen = root.dataset.campagne || "";
    const key = JSON.stringify(campaigns);
    if (nav.dataset.liste === key) { return; }
    nav.dataset.liste = key;
    function entry(label, href, current) {
      const li = document.createElement("li");
      const link = document.createElement(current ? "strong" : "a");
      if (current) { link.setAttribute("aria-current", "page"); } else { link.href = href; }
      link.textContent = label;
      li.appendChild(link);
      return li;
    }
    if (!campaigns.length) {
      const p = document.createElement("p");
      p.textContent = "Aucune campagne en cours ou en pause.";
      nav.replaceChildren(p);
      return;
    }
    const list = document.createElement("ul");
    list.className = "campagnes";
    list.appendChild(entry("La plus récente", "/tableau-de-bord", chosen === ""));
    for (const campaign of campaigns) {
      const li = entry(campaign.name, `/tableau-de-bord?campagne=${campaign.id}`, String(campaign.id) === chosen);
      li.dataset.campagne = String(campaign.id);
      li.appendChild(document.createTextNode(` (${format(campaign.state, "etat-campagne")})`));
      list.appendChild(li);
    }
    nav.replaceChildren(list);
  }

  function showWallboard(data) {
    showCampaigns(data.campaigns);
    FilDirect.renderAgents(document.querySelector("#agents-en-direct tbody"), data.live.seats || []);
    drawTrend(data.trend || []);
    showAlarms(data.alarms || []);
    for (const element of root.querySelectorAll("[data-niveau-de]")) {
      element.dataset.niveau = (data.levels || {})[element.dataset.niveauDe] || "normal";
    }
  }

  FilDirect.connect(root, status, (data) => { show(data); showWallboard(data); });
})();
