"""What the service and its commands tell the server's operator (log lines, command-line
errors, start-up, configuration errors), in French or in English: one table, the language
chosen once (the ``language`` setting, read by :func:`dialer.settings.load_settings`
before it validates the settings, so that their errors speak it too) and used everywhere.
The screens' French labels are :mod:`dialer.core.labels`'; codes (``campaign.start``,
``ready``) and setting names stay as they are in both languages, for ``grep``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Language(StrEnum):
    FRENCH = "fr"
    ENGLISH = "en"


#: key -> (French, English); ``str.format`` fields named alike in both
MESSAGES: Mapping[str, tuple[str, str]] = {
    "cli.error": ("erreur : {error}", "error: {error}"),
    "cli.interrupted": ("interrompu", "interrupted"),
    "service.ready": (
        "Service prêt : {url} (Ctrl-C pour arrêter)",
        "Service ready: {url} (Ctrl-C to stop)",
    ),
    "service.stopping": (
        "Arrêt demandé : plus aucun appel lancé, les appels en cours se terminent "
        "(au plus {seconds} s)…",
        "Stop requested: no new call, the calls in progress finish (at most {seconds} s)…",
    ),
    "service.stopped": (
        "Arrêté : {lines} ligne(s) d'agent libérée(s), {calls} appel(s) laissé(s) à "
        "Asterisk, {sheets} fiche(s) à finir à la prochaine connexion.",
        "Stopped: {lines} agent line(s) released, {calls} call(s) left to Asterisk, "
        "{sheets} sheet(s) to finish at the next log-in.",
    ),
    "stop.draining": (
        "arrêt : plus aucun appel lancé ; {calls} appel(s) et {sheets} fiche(s) en cours",
        "stopping: no new call; {calls} call(s) and {sheets} sheet(s) in progress",
    ),
    "stop.done": (
        "arrêt : {lines} ligne(s) d'agent libérée(s), {calls} appel(s) laissé(s) à "
        "Asterisk, {sheets} fiche(s) à finir à la prochaine connexion",
        "stopped: {lines} agent line(s) released, {calls} call(s) left to Asterisk, "
        "{sheets} sheet(s) to finish at the next log-in",
    ),
    "ledger.failing": (
        "journal des appels : écritures en échec, plus aucun appel tant qu'elles ne passent "
        "pas : {error}",
        "ledger: writes failing, dialling stops until they land: {error}",
    ),
    "ledger.back": (
        "journal des appels : les écritures passent de nouveau après {seconds:.1f} s",
        "ledger: writes land again after {seconds:.1f} s",
    ),
    "campaign.change": (
        "campagne {campaign} « {name} » : {action} par {actor}{details}",
        "campaign {campaign} “{name}”: {action} by {actor}{details}",
    ),
    "episode.change": (
        "épisode {episode} : {action} par {actor}{details}",
        "episode {episode}: {action} by {actor}{details}",
    ),
    "agent.state": (
        "agent {agent} : {before} → {after}",
        "agent {agent}: {before} → {after}",
    ),
    "agent.own_line": (
        "agent {agent} : son téléphone n'est pas devenu sa ligne ({outcome})",
        "agent {agent}: their own phone did not become their line ({outcome})",
    ),
    "ami.connected": (
        "AMI {node} : session ouverte ({host}:{port})",
        "AMI {node}: session open ({host}:{port})",
    ),
    "ami.disconnected": (
        "AMI {node} : session perdue, reconnexion",
        "AMI {node}: session lost, reconnecting",
    ),
    "ami.stopped": ("AMI {node} : session fermée", "AMI {node}: session closed"),
    "node.no_prompt": (
        "nœud {node} : le message d'information ou un message d'attente manque dans les "
        "sons d'Asterisk ; installez-les (dialer asterisk prompts) : les personnes sans "
        "agent entendraient un silence",
        "node {node}: the information message or a waiting message is missing from "
        "Asterisk's sounds; install them (dialer asterisk prompts): people no agent could "
        "take would hear silence",
    ),
    "node.no_session": (
        "nœud {node} : pas de session AMI en {seconds} s",
        "node {node}: no AMI session within {seconds} s",
    ),
    # configuration errors: one line each, naming the setting or the file and the fix
    "settings.no_config_file": (
        "DIALER_CONFIG={path} : fichier introuvable ; donnez le chemin d'un fichier de "
        "réglages existant, ou retirez la variable",
        "DIALER_CONFIG={path}: no such file; give the path of an existing settings file, "
        "or unset the variable",
    ),
    "settings.unreadable": (
        "fichier de réglages {source} illisible : {reason} ; corrigez sa syntaxe TOML",
        "cannot read settings file {source}: {reason}; fix its TOML syntax",
    ),
    "settings.invalid": (
        "réglages invalides (environnement ou {source}) : {problems}",
        "invalid settings (environment or {source}): {problems}",
    ),
    "settings.invalid_environment": (
        "réglages invalides (environnement) : {problems}",
        "invalid settings (environment): {problems}",
    ),
    "settings.unknown_section": (
        "{name} : section inconnue (les sections : {sections})",
        "{name}: unknown section (the sections: {sections})",
    ),
    "settings.unknown_setting": (
        "{where} : réglage inconnu ({section} accepte : {fields})",
        "{where}: unknown setting ({section} takes: {fields})",
    ),
    "settings.section": ("la section [{name}]", "[{name}]"),
    "settings.top_level": ("le niveau principal", "the top level"),
    "settings.problem": ("{where} : {problem}", "{where}: {problem}"),
    "settings.separator": (" ; ", "; "),
    "settings.control_characters": (
        "retours à la ligne et caractères de contrôle interdits : écrivez-le sur une ligne",
        "line breaks and control characters are not allowed: write it on one line",
    ),
    "settings.ami_plain_remote": (
        "ami.host {host!r} n'est pas cette machine et l'AMI n'est pas en TLS : mettez "
        "ami.tls = true (manager.conf tlsenable d'Asterisk, port 5039), ou "
        "ami.allow_plain_remote = true pour accepter une session AMI distante en clair",
        "ami.host {host!r} is not this machine and AMI is not over TLS: set "
        "ami.tls = true (Asterisk manager.conf tlsenable, port 5039), or "
        "ami.allow_plain_remote = true to accept a plain remote AMI session",
    ),
    "settings.webrtc_url": (
        "sip.webrtc_url : {value!r} n'est pas une adresse ws:// ou wss://",
        "sip.webrtc_url: {value!r} is not a ws:// or wss:// address",
    ),
    "settings.tls_pair": (
        "web.tls_cert_file et web.tls_key_file : renseignez les deux, ou aucun",
        "web.tls_cert_file and web.tls_key_file: set both, or neither",
    ),
    "settings.plain_http": (
        "web.host {host!r} servirait les écrans en HTTP en clair sur le réseau : renseignez "
        "web.tls_cert_file et web.tls_key_file (HTTPS intégré), ou nommez le mandataire "
        "inverse qui termine le TLS dans web.trusted_proxies",
        "web.host {host!r} would serve the screens over plain HTTP to the network: set "
        "web.tls_cert_file and web.tls_key_file (HTTPS built in), or name the "
        "TLS-terminating reverse proxy in web.trusted_proxies",
    ),
    "settings.not_a_file": (
        "web.{name} : {path} n'est pas un fichier lisible ; donnez le chemin du fichier PEM",
        "web.{name}: {path} is not a readable file; give the path of the PEM file",
    ),
    "settings.transfer_number": (
        "transfers.numbers : « {label} » = {number!r} : un service (15, 112, 3919), un numéro "
        "national (0…) ou international (+…), en chiffres seulement, et un libellé non vide",
        "transfers.numbers: {label!r} = {number!r}: a service (15, 112, 3919), a national "
        "(0…) or international (+…) number, digits only, and a non-empty label",
    ),
    "settings.pause_order": (
        "pause_alarm_min doit être au moins pause_warning_min",
        "pause_alarm_min must be at least pause_warning_min",
    ),
    "settings.waiting_order": (
        "waiting_alarm doit être au moins waiting_warning",
        "waiting_alarm must be at least waiting_warning",
    ),
    "settings.no_driver": (
        "{scheme}:// n'a pas de pilote que le dialer sait utiliser : écrivez {fixed}:// à la place",
        "{scheme}:// has no driver the dialer runs on: write {fixed}:// instead",
    ),
    "settings.not_a_database": (
        "{scheme!r} n'est pas une base de données que le dialer sait utiliser : écrivez "
        "sqlite+aiosqlite:///chemin/dialer.db, ou postgresql+asyncpg:// et le serveur",
        "{scheme!r} is not a database the dialer runs on: write "
        "sqlite+aiosqlite:///path/dialer.db, or postgresql+asyncpg:// and the server",
    ),
    "settings.secret_unreadable": (
        "{setting} : impossible de lire {path} ; vérifiez le chemin et les droits du fichier",
        "{setting}: cannot read {path}; check the file's path and permissions",
    ),
    "settings.secret_not_text": (
        "{setting} : {path} n'est pas du texte UTF-8 ; écrivez le secret en texte sur sa "
        "première ligne",
        "{setting}: {path} is not UTF-8 text; write the secret as text on its first line",
    ),
    "settings.secret_empty": (
        "{setting} : {path} est vide ; écrivez le secret sur sa première ligne",
        "{setting}: {path} is empty; write the secret on its first line",
    ),
    "settings.password_not_postgresql": (
        "database_password_file : seulement pour une database_url postgresql://, pas "
        "{scheme}:// ; retirez database_password_file",
        "database_password_file: only for a postgresql:// database_url, not {scheme}://; "
        "unset database_password_file",
    ),
    "settings.url_no_user": (
        "database_password_file : database_url ne nomme aucun utilisateur ; écrivez "
        "postgresql+asyncpg://UTILISATEUR@hôte/base",
        "database_password_file: database_url names no user; write "
        "postgresql+asyncpg://USER@host/db",
    ),
    "settings.url_has_password": (
        "database_password_file : database_url contient déjà un mot de passe ; retirez l'un "
        "des deux",
        "database_password_file: database_url already holds a password; remove one of them",
    ),
    "settings.no_ami_secret": (
        "ami.secret : renseignez DIALER_AMI__SECRET ou DIALER_AMI__SECRET_FILE (celui du banc "
        "local : {rig_file})",
        "ami.secret: set DIALER_AMI__SECRET or DIALER_AMI__SECRET_FILE (the local rig's: "
        "{rig_file})",
    ),
    "settings.no_secret_key": (
        "web.secret_key : renseignez DIALER_WEB__SECRET_KEY ou DIALER_WEB__SECRET_KEY_FILE "
        "(au moins {length} caractères)",
        "web.secret_key: set DIALER_WEB__SECRET_KEY or DIALER_WEB__SECRET_KEY_FILE "
        "(>= {length} characters)",
    ),
    "web.cannot_resolve": (
        "web.host : impossible de résoudre {host!r} ({reason}) : mettez dans "
        "DIALER_WEB__HOST une adresse de cette machine",
        "web.host: cannot resolve {host!r} ({reason}): set DIALER_WEB__HOST to an address "
        "of this machine",
    ),
    "web.cannot_listen": (
        "web.port : impossible d'écouter sur {host}:{port}, {reason} "
        "(DIALER_WEB__HOST, DIALER_WEB__PORT)",
        "web.port: cannot listen on {host}:{port}, {reason} (DIALER_WEB__HOST, DIALER_WEB__PORT)",
    ),
    "web.port_in_use": (
        "déjà utilisé : arrêtez ce qui y écoute ou choisissez-en un autre",
        "already in use: stop what listens there or choose another",
    ),
    "web.port_not_allowed": (
        "interdit pour cet utilisateur : choisissez-en un au-dessus de 1023",
        "not allowed for this user: choose one above 1023",
    ),
    "web.address_not_ours": (
        "pas une adresse de cette machine : choisissez-en une qui l'est",
        "not an address of this machine: choose one that is",
    ),
    "web.port_other": ("{reason} : choisissez-en un autre", "{reason}: choose another"),
    "web.did_not_start": (
        "web.port : le serveur web n'a pas démarré sur {host}:{port} ; voir le journal ci-dessus",
        "web.port: web server did not start on {host}:{port}; see the log above",
    ),
    "web.short_secret_key": (
        "web.secret_key : la clé secrète doit avoir au moins {length} caractères ; "
        "générez-en une (openssl rand -hex 32)",
        "web.secret_key: the web secret key must have at least {length} characters; "
        "generate one (openssl rand -hex 32)",
    ),
    "ami.plain_remote": (
        "AMI {host}:{port} : AMI en clair vers une autre machine refusé (le secret et les "
        "numéros circuleraient en clair) ; mettez ami.tls = true, ou "
        "ami.allow_plain_remote = true",
        "AMI {host}:{port}: plain AMI to another machine refused (the secret and the "
        "numbers would travel in clear); set ami.tls = true, or ami.allow_plain_remote = true",
    ),
    "asterisk.no_sip_credentials": (
        "compte SIP {username} : aucun identifiant ; donnez-lui un mot de passe",
        "SIP account {username}: no credentials; give it a password",
    ),
    "asterisk.no_ami_secret": (
        "ami.secret : il faut un secret AMI pour écrire manager.conf ; renseignez "
        "DIALER_AMI__SECRET ou DIALER_AMI__SECRET_FILE",
        "ami.secret: an AMI secret is required to render manager.conf; set "
        "DIALER_AMI__SECRET or DIALER_AMI__SECRET_FILE",
    ),
    "asterisk.remote_needs_tls": (
        "sip.tls_cert_file : les agents à distance ont besoin du transport TLS ; renseignez "
        "sip.tls_cert_file et sip.tls_key_file",
        "sip.tls_cert_file: remote agents need the TLS transport; set sip.tls_cert_file and "
        "sip.tls_key_file",
    ),
    "asterisk.trunk_password": (
        "trunk.password : obligatoire quand trunk.username est renseigné ; renseignez "
        "DIALER_TRUNK__PASSWORD",
        "trunk.password: required when trunk.username is set; set DIALER_TRUNK__PASSWORD",
    ),
    "asterisk.bad_template": (
        "{directory} : impossible d'écrire le modèle : {reason} ; corrigez le modèle",
        "{directory}: cannot render template: {reason}; fix the template",
    ),
    "prompts.unreadable": (
        "{path} : message d'information illisible ({reason}) ; vérifiez le fichier",
        "{path}: cannot read the information message ({reason}); check the file",
    ),
    "prompts.bad_placeholder": (
        "{path} : champ inconnu {field} ; utilisez {{service}} et {{numero_rappel}}",
        "{path}: unknown placeholder {field}; use {{service}} and {{numero_rappel}}",
    ),
    "prompts.no_recording": (
        "{path} : enregistrement introuvable ; donnez le chemin d'un fichier audio existant",
        "{path}: no such recording; give the path of an existing sound file",
    ),
    "database.unparsable": (
        "database_url : {url!r} illisible ; écrivez sqlite+aiosqlite:///chemin/dialer.db ou "
        "postgresql+asyncpg://utilisateur@hôte/base",
        "database_url: cannot parse {url!r}; write sqlite+aiosqlite:///path/dialer.db or "
        "postgresql+asyncpg://user@host/db",
    ),
    "database.unsupported": (
        "database_url : {backend!r} n'est pas pris en charge (écrivez sqlite+aiosqlite:/// "
        "ou postgresql+asyncpg://)",
        "database_url: {backend!r} is not supported (use sqlite+aiosqlite:/// or "
        "postgresql+asyncpg://)",
    ),
    "database.no_migrations": (
        "migrations introuvables : {path} ; réinstallez le paquet dialer",
        "migrations not found: {path}; reinstall the dialer package",
    ),
    "backup.not_sqlite": (
        "database_url : la sauvegarde intégrée ne copie que SQLite ; pour PostgreSQL, "
        "utilisez pg_dump --format=custom (voir docs/operations.md)",
        "database_url: the built-in backup copies SQLite only; for PostgreSQL, use "
        "pg_dump --format=custom (see docs/operations.md)",
    ),
    "backup.in_memory": (
        "database_url : une base SQLite en mémoire ne se sauvegarde pas ; donnez un fichier",
        "database_url: an in-memory SQLite database cannot be backed up; name a file",
    ),
    "backup.no_database": (
        "{path} : base de données introuvable ; vérifiez database_url",
        "{path}: no such database; check database_url",
    ),
    "backup.no_folder": (
        "{path} : dossier introuvable ; créez-le ou choisissez-en un autre",
        "{path}: no such folder; create it or choose another",
    ),
    "windows.local_times": (
        "plage horaire {interval} : utilisez des heures locales, sans fuseau",
        "opening interval {interval}: use local times without tzinfo",
    ),
    "windows.start_after_end": (
        "plage horaire {interval} : le début doit précéder la fin",
        "opening interval {interval}: start must be before end",
    ),
    "windows.bad_interval": (
        "plage horaire {text!r} : HH:MM-HH:MM attendu (ex. 09:00-19:00)",
        "opening interval {text!r}: expected HH:MM-HH:MM (e.g. 09:00-19:00)",
    ),
    "windows.week_length": (
        "plages d'appel : 7 jours attendus (lundi d'abord), {count} reçu(s)",
        "calling windows: 7 weekdays expected (Monday first), got {count}",
    ),
    "windows.days": (
        "lundi,mardi,mercredi,jeudi,vendredi,samedi,dimanche,jours fériés",
        "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday,public holidays",
    ),
    "windows.open_and_closed": (
        "plages d'appel : {dates} à la fois ouvert(s) et fermé(s) ; retirez-les d'une des "
        "deux listes",
        "calling windows: {dates} both open and closed; remove them from one of the lists",
    ),
    "windows.unordered": (
        "plages d'appel, {where} : rangez les plages dans l'ordre",
        "calling windows, {where}: list the intervals in order",
    ),
    "windows.overlap": (
        "plages d'appel, {where} : {before} chevauche {after}",
        "calling windows, {where}: {before} overlaps {after}",
    ),
    "windows.none_open": (
        "aucune plage d'appel ne s'ouvre dans les {days} jours après {instant} ; ouvrez-en une",
        "no calling window opens in the {days} days after {instant}; open one",
    ),
    "retry.max_attempts": (
        "règles de rappel : max_attempts={count} < 1 ; il faut au moins une tentative",
        "retry policy: max_attempts={count} < 1; at least one attempt is needed",
    ),
    "retry.relative_calls": (
        "règles de rappel : relative_calls_per_cycle ne peut pas être négatif",
        "retry policy: relative_calls_per_cycle cannot be negative",
    ),
    "retry.lengths": (
        "règles de rappel : cycle_length et ring_allowance doivent être > 0",
        "retry policy: cycle_length and ring_allowance must be > 0",
    ),
    "retry.negative_delays": (
        "règles de rappel : les délais ne peuvent pas être négatifs",
        "retry policy: delays cannot be negative",
    ),
    "escalation.delays": (
        "délais d'escalade : un délai positif pour chaque priorité de 1 à 4, reçu {delays}",
        "escalation delays need a positive delay for priorities 1 to 4, got {delays}",
    ),
    "escalation.retry_delays": (
        "délais de nouvel envoi : au moins un, tous positifs",
        "retry delays must be positive, and at least one",
    ),
    "price_grid.unreadable": (
        "{path} : grille tarifaire illisible ({reason}) ; vérifiez billing.price_grid_file",
        "{path}: cannot read the price grid ({reason}); check billing.price_grid_file",
    ),
    "price_grid.bad_toml": (
        "{path} : TOML invalide : {reason} ; corrigez sa syntaxe",
        "{path}: invalid TOML: {reason}; fix its syntax",
    ),
    "price_grid.invalid": (
        "{path} : grille tarifaire invalide : {problems}",
        "{path}: invalid price grid: {problems}",
    ),
}


#: how much of a refused value a French validation message shows
SHOWN_INPUT_LENGTH = 40

#: pydantic's error types, in French (English keeps pydantic's own text); ``str.format``
#: fields from the error's ``ctx``, and ``{input}``, the value given
FRENCH_VALIDATION: Mapping[str, str] = {
    "int_parsing": "nombre entier attendu, reçu {input!r}",
    "int_type": "nombre entier attendu, reçu {input!r}",
    "int_parsing_size": "nombre entier attendu, reçu un nombre bien trop long",
    "int_from_float": "nombre entier attendu (sans décimales), reçu {input!r}",
    "float_parsing": "nombre attendu (ex. 2.5), reçu {input!r}",
    "float_type": "nombre attendu (ex. 2.5), reçu {input!r}",
    "bool_parsing": "true ou false attendu, reçu {input!r}",
    "bool_type": "true ou false attendu, reçu {input!r}",
    "missing": "réglage obligatoire manquant",
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être au moins {ge}",
    "less_than": "doit être inférieur à {lt}",
    "less_than_equal": "doit être au plus {le}",
    "enum": "valeur attendue parmi {expected}, reçu {input!r}",
    "literal_error": "valeur attendue parmi {expected}, reçu {input!r}",
    "string_type": "texte attendu",
    "string_too_long": "au plus {max_length} caractère(s)",
    "string_too_short": "au moins {min_length} caractère(s)",
    "string_pattern_mismatch": "valeur attendue de la forme {pattern}",
    "list_type": 'liste attendue (ex. ["127.0.0.1"])',
    "path_type": "chemin de fichier attendu",
    "model_type": "section attendue",
    "dict_type": "section attendue",
    "json_invalid": "JSON invalide",
    "url_parsing": "adresse (URL) illisible",
    "url_scheme": "schéma d'adresse refusé : {expected_schemes}",
}

_chosen = Language.FRENCH


def choose_language(language: Language | str) -> None:
    """The operator's language, from now on (once, at the edge: the ``dialer`` command)."""
    global _chosen  # noqa: PLW0603 - one choice for the whole process
    _chosen = Language(language)


def say(key: str, **values: object) -> str:
    """The message ``key`` in the chosen language, its fields filled with ``values``."""
    french, english = MESSAGES[key]
    return (french if _chosen is Language.FRENCH else english).format(**values)


def validation_problem(
    kind: str, message: str, context: Mapping[str, object], value: object
) -> str:
    """A pydantic error (its type ``kind``, English ``message``, ``context`` and the
    ``value`` given) in the chosen language: our own validators' text as it is, pydantic's
    own in French when known, else pydantic's English."""
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    french = FRENCH_VALIDATION.get(kind)
    if _chosen is Language.ENGLISH or french is None:
        return message
    fields = {
        name: str(field).replace(" or ", " ou ") if name == "expected" else field
        for name, field in context.items()
    }
    if isinstance(value, str) and len(value) > SHOWN_INPUT_LENGTH:
        value = value[:SHOWN_INPUT_LENGTH] + "…"
    try:
        return french.format(input=value, **fields)
    except (KeyError, IndexError, ValueError):
        return message


def details_text(details: Mapping[str, object]) -> str:
    """`` (key=value, …)`` for a log line's details, or nothing."""
    if not details:
        return ""
    return " (" + ", ".join(f"{key}={value}" for key, value in details.items()) + ")"
