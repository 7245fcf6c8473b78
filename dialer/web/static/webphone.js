/* Le téléphone dans la page de l'agent (WebRTC, JsSIP) : à l'ouverture de « Mon poste », le
   micro est demandé, les identifiants viennent du serveur (session de l'agent, jamais dans la
   page), le téléphone s'enregistre auprès d'Asterisk, propose un test du son (écho), puis
   connecte la ligne de l'agent comme un softphone : le moteur d'appels appelle ce téléphone,
   qui décroche seul, et la ligne reste ouverte toute la session.
   Réseau perdu : la ligne est coupée, l'agent mis en pause ; au retour du réseau, le
   téléphone se réenregistre et la ligne est reconnectée (l'agent reste en pause).
   Les maintiens de la connexion sont ceux du WebSocket et de SIP (OPTIONS d'Asterisk toutes
   les 5 s, auxquelles JsSIP répond), jamais des minuteurs de la page : un onglet en arrière-
   plan garde sa ligne. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const api = window.Veille;
  const LOST_PAUSE = { reason: "Problème technique", detail: "réseau perdu (téléphone de la page)" };
  const ECHO_SECONDS = 3;
  let account = null;
  let ua = null;
  let microphone = null;
  let line = null; // the agent's persistent leg (a call from Asterisk, answered here)
  let echo = null; // the audio check's call
  let wantLine = false; // the agent connected their line: bring it back after a loss
  let lost = false;
  const stats = { packetsReceived: 0, packetsSent: 0, packetsLost: 0, jitter: 0, rtt: 0 };
  window.__webphoneStats = stats;

  function say(text, isError) {
    const box = $("message-telephone");
    box.textContent = text;
    box.classList.toggle("erreur", Boolean(isError));
  }

  const LINE_LABELS = {
    arret: "non connectée",
    enregistrement: "connexion au serveur…",
    prete: "prête (enregistrée)",
    test: "test du son en cours",
    connectee: "connectée",
    coupee: "coupée (réseau perdu)",
  };
  function showLine(state) {
    const badge = $("ligne");
    badge.dataset.ligne = state;
    badge.textContent = LINE_LABELS[state];
    $("micro").disabled = !(state === "connectee" || state === "test");
  }

  const QUALITY_LABELS = { bonne: "bonne", moyenne: "moyenne", mauvaise: "mauvaise", inconnu: "—" };
  function showQuality(quality) {
    $("reseau").dataset.reseau = quality;
    $("reseau").textContent = QUALITY_LABELS[quality];
  }

  // ---- audio ---------------------------------------------------------------------------
  function playRemote(session) {
    const connection = session.connection;
    if (!connection) { return; }
    const attach = () => {
      const receivers = connection.getReceivers().filter((r) => r.track && r.track.kind === "audio");
      if (receivers.length) {
        $("son-distant").srcObject = new MediaStream(receivers.map((r) => r.track));
        $("son-distant").play().catch(() => {});
      }
    };
    connection.addEventListener("track", attach);
    attach();
  }

  function callOptions() {
    return {
      mediaStream: microphone,
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: account.ice_servers },
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    };
  }

  async function readStats(session) {
    if (!session || !session.connection) { return null; }
    const report = await session.connection.getStats();
    const seen = { packetsReceived: 0, packetsSent: 0, packetsLost: 0, jitter: 0, rtt: 0, energy: 0 };
    report.forEach((entry) => {
      if (entry.kind !== "audio" && entry.type !== "remote-inbound-rtp") { return; }
      if (entry.type === "inbound-rtp") {
        seen.packetsReceived += entry.packetsReceived || 0;
        seen.packetsLost += entry.packetsLost || 0;
        seen.jitter = Math.max(seen.jitter, entry.jitter || 0);
        seen.energy += entry.totalAudioEnergy || 0;
      } else if (entry.type === "outbound-rtp") {
        seen.packetsSent += entry.packetsSent || 0;
      } else if (entry.type === "remote-inbound-rtp") {
        seen.rtt = Math.max(seen.rtt, entry.roundTripTime || 0);
      }
    });
    return seen;
  }

  function quality(seen, before) {
    const received = seen.packetsReceived - before.packetsReceived;
    const lostNow = Math.max(0, seen.packetsLost - before.packetsLost);
    if (received + lostNow === 0) { return "mauvaise"; }
    const loss = lostNow / (received + lostNow);
    if (loss < 0.01 && seen.jitter < 0.03 && seen.rtt < 0.3) { return "bonne"; }
    if (loss < 0.05 && seen.jitter < 0.06 && seen.rtt < 0.6) { return "moyenne"; }
    return "mauvaise";
  }

  // The statistics are shown only (a throttled timer in a background tab delays the figure,
  // never the line).
  window.setInterval(async () => {
    if (!line) { showQuality("inconnu"); return; }
    const before = { ...stats };
    const seen = await readStats(line);
    if (!seen) { return; }
    Object.assign(stats, seen);
    showQuality(quality(seen, before));
  }, 2000);

  // ---- the agent's state, through the screen's own API ------------------------------------
  async function agentState() {
    try { return await api.get("/api/v1/agent/state"); } catch (error) { return null; }
  }

  // The screen's own controls (agent.js) do it, as the agent would: « Connecter mon
  // téléphone » (the engine calls this phone) and the pause form, whose answers update the
  // state shown.
  async function connectLine() {
    wantLine = true;
    const state = await agentState();
    if (!state || state.state !== "logged_out") { return; }
    say(lost ? "Réseau rétabli : reconnexion de votre ligne…" : "Connexion de votre ligne…");
    $("connecter-telephone").click();
  }

  async function networkLost() {
    if (lost) { return; }
    lost = true;
    showLine("coupee");
    say("Réseau perdu : votre ligne est coupée et vous êtes mis en pause. Reconnexion automatique…", true);
    if (line) { try { line.terminate(); } catch (error) { line = null; } }
    const state = await agentState();
    if (state && state.state === "ready") {
      $("motif-pause").value = LOST_PAUSE.reason;
      $("precision-pause").value = LOST_PAUSE.detail;
      $("form-pause").requestSubmit();
    }
  }

  // ---- incoming: the engine calls this phone at log-in; it answers by itself ---------------
  function incoming(session) {
    if (line || echo || !microphone) {
      session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
      return;
    }
    line = session;
    window.__webphoneLine = session; // the line, for the rig's test to read its statistics
    session.on("peerconnection", () => playRemote(session));
    session.on("confirmed", () => {
      showLine("connectee");
      playRemote(session);
      if (lost) { say("Réseau rétabli : ligne reconnectée. Vous êtes en pause."); }
      lost = false;
    });
    const ended = () => {
      if (line === session) { line = null; }
      if (!lost) { showLine(ua && ua.isRegistered() ? "prete" : "arret"); }
    };
    session.on("ended", ended);
    session.on("failed", ended);
    session.answer(callOptions());
    playRemote(session);
  }

  // ---- the audio check: a call to the echo extension --------------------------------------
  function audioCheck() {
    if (echo || line) { return; }
    showLine("test");
    say("Test du son : parlez, vous devez vous entendre en écho…");
    echo = ua.call(account.echo_test, callOptions());
    playRemote(echo);
    let verdict = null;
    echo.on("confirmed", () => {
      window.setTimeout(async () => {
        const seen = await readStats(echo);
        verdict = seen && seen.packetsReceived > 20;
        echo.terminate();
      }, ECHO_SECONDS * 1000);
    });
    const ended = () => {
      echo = null;
      showLine(ua.isRegistered() ? "prete" : "arret");
      if (verdict) {
        say("Test du son réussi : le son revient. Connexion de votre ligne…");
        $("telephone-page").dataset.testAudio = "reussi";
        connectLine();
      } else {
        say("Test du son échoué : aucun son reçu. Vérifiez le micro et le casque, puis recommencez.", true);
        $("telephone-page").dataset.testAudio = "echoue";
      }
    };
    echo.on("ended", ended);
    echo.on("failed", ended);
  }

  // ---- start: microphone, credentials, registration ---------------------------------------
  async function start() {
    showLine("enregistrement");
    try {
      microphone = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (error) {
      showLine("arret");
      say("Le micro est refusé ou absent : autorisez-le pour ce site, puis rechargez la page.", true);
      return;
    }
    try {
      account = await api.get("/api/v1/agent/webphone");
    } catch (error) {
      showLine("arret");
      say(error.message, true);
      return;
    }
    ua = new window.JsSIP.UA({
      sockets: [new window.JsSIP.WebSocketInterface(account.websocket)],
      uri: account.uri,
      authorization_user: account.username,
      realm: account.realm,
      ha1: account.ha1,
      register: true,
      register_expires: 300,
      session_timers: false,
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 10,
      user_agent: "dialer-webphone",
    });
    ua.on("registered", () => {
      $("test-audio").disabled = false;
      if (!line && !echo) { showLine("prete"); }
      if (lost || wantLine) { connectLine(); } else { say("Téléphone prêt. Testez le son pour connecter votre ligne."); }
    });
    ua.on("registrationFailed", (event) => {
      showLine("arret");
      say("Le téléphone n'a pas pu s'enregistrer (" + (event.cause || "refus") + ").", true);
    });
    ua.on("disconnected", () => { if (wantLine || line) { networkLost(); } else { showLine("arret"); } });
    ua.on("newRTCSession", (event) => {
      if (event.originator === "remote") { incoming(event.session); }
    });
    ua.start();
  }

  // ---- controls ---------------------------------------------------------------------------
  $("test-audio").addEventListener("click", () => audioCheck());
  $("micro").addEventListener("click", () => {
    if (!microphone) { return; }
    const muted = $("micro").getAttribute("aria-pressed") !== "true";
    microphone.getAudioTracks().forEach((track) => { track.enabled = !muted; });
    $("micro").setAttribute("aria-pressed", String(muted));
    $("micro").textContent = muted ? "Rétablir le micro" : "Couper le micro";
    say(muted ? "Micro coupé : la personne ne vous entend plus." : "Micro rétabli.");
  });
  $("volume").addEventListener("input", () => { $("son-distant").volume = Number($("volume").value) / 100; });
  document.querySelectorAll("#clavier .touche").forEach((key) => {
    key.addEventListener("click", () => {
      if (!line) { say("Pas de ligne connectée : la touche n'est pas envoyée.", true); return; }
      line.sendDTMF(key.dataset.touche, { transportType: "RFC2833" });
      say("Touche " + key.dataset.touche + " envoyée.");
    });
  });
  window.addEventListener("offline", () => { if (wantLine || line) { networkLost(); } });
  // « Connecter mon téléphone » (agent.js) works too, without the audio check
  $("connecter-telephone").addEventListener("click", () => { wantLine = true; });

  start();
})();
