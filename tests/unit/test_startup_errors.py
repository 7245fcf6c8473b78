"""Start-up through ``dialer``: every configuration error is one line naming the setting
and the fix, unknown keys are refused at every level, and ``dialer serve`` takes its web
port before anything else."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialer.cli import main
from dialer.errors import ConfigurationError, exit_code

CONFIGURATION_EXIT = exit_code(ConfigurationError(""))
SECRET_KEY = "k" * 40


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def dialer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """``dialer ARGUMENTS`` through its entry point (:func:`dialer.cli.main`), in
    ``tmp_path``, with only the given ``DIALER_*`` variables."""
    for name in list(os.environ):
        if name.startswith("DIALER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*arguments: str, **environment: str) -> Run:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["dialer", *arguments])
        capsys.readouterr()
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:
            code = 0
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


#: how the operator says they read English: the file's ``language``, or the environment
ENGLISH_BY = ("file", "environment")


def one_line_error(done: Run, *, english: bool = False) -> str:
    assert done.returncode == CONFIGURATION_EXIT, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: " if english else "erreur : "), lines[0]
    return lines[0]


#: (dialer.toml, environment, the French line holds, the English line holds)
BAD_SETTINGS = [
    (
        "[web]\nprot = 1\n",
        {},
        "web.prot : réglage inconnu (la section [web] accepte : host, port, ",
        "web.prot: unknown setting ([web] takes: host, port, ",
    ),
    (
        "",
        {"DIALER_WEB__PROT": "1"},
        "web.prot : réglage inconnu (la section [web] accepte : host, port",
        "web.prot: unknown setting ([web] takes: host, port",
    ),
    (
        "[webb]\nport = 1\n",
        {},
        "webb : réglage inconnu (le niveau principal accepte : database_url",
        "webb: unknown setting (the top level takes: database_url",
    ),
    (
        "",
        {"DIALER_WEBB__PORT": "1"},
        "DIALER_WEBB__PORT : section inconnue (les sections : ami",
        "DIALER_WEBB__PORT: unknown section (the sections: ami",
    ),
    (
        "[ami]\nhost = '127.0.0.1'\nsecrett = 'x'\n",
        {},
        "ami.secrett : réglage inconnu",
        "ami.secrett: unknown setting",
    ),
    (
        "[cycles]\nlenght_min = 5\n",
        {},
        "cycles.lenght_min : réglage inconnu",
        "cycles.lenght_min: unknown setting",
    ),
    # read nowhere, so removed: the calling windows and the screens use Europe/Paris
    ('timezone = "Europe/Paris"\n', {}, "timezone : réglage inconnu", "timezone: unknown setting"),
    (
        'database_url = "postgresql://dialer:s3cret@db/dialer"\n',
        {},
        "database_url : postgresql:// n'a pas de pilote que le dialer sait utiliser : écrivez "
        "postgresql+asyncpg:// à la place",
        "database_url: postgresql:// has no driver the dialer runs on: write "
        "postgresql+asyncpg:// instead",
    ),
    (
        "",
        {"DIALER_DATABASE_URL": "sqlite:///var/dialer.db"},
        "database_url : sqlite:// n'a pas de pilote que le dialer sait utiliser : écrivez "
        "sqlite+aiosqlite://",
        "database_url: sqlite:// has no driver the dialer runs on: write sqlite+aiosqlite://",
    ),
    (
        'database_url = "mysql+aiomysql://x@y/z"\n',
        {},
        "database_url : 'mysql+aiomysql' n'est pas une base de données que le dialer sait "
        "utiliser : écrivez sqlite+aiosqlite:///chemin/dialer.db, ou postgresql+asyncpg://",
        "database_url: 'mysql+aiomysql' is not a database the dialer runs on: write "
        "sqlite+aiosqlite:///path/dialer.db, or postgresql+asyncpg://",
    ),
    (
        "",
        {"DIALER_WEB__PORT": "http"},
        "réglages invalides (environnement ou dialer.toml) : web.port : nombre entier attendu, "
        "reçu 'http'",
        "invalid settings (environment or dialer.toml): web.port: Input should be a valid integer",
    ),
    (
        "[web]\nport = 70000\n",
        {},
        "web.port : doit être au plus 65535",
        "web.port: Input should be less than or equal to 65535",
    ),
    (
        "[dialing]\nring_timeout_s = 5\n",
        {},
        "dialing.ring_timeout_s : doit être au moins 15",
        "dialing.ring_timeout_s: Input should be greater than or equal to 15",
    ),
    (
        "[ami]\naction_timeout_s = 'vite'\n",
        {},
        "ami.action_timeout_s : nombre attendu (ex. 2.5), reçu 'vite'",
        "ami.action_timeout_s: Input should be a valid number",
    ),
    (
        "[web]\nsecure_cookies = 'peut-être'\n",
        {},
        "web.secure_cookies : true ou false attendu, reçu 'peut-être'",
        "web.secure_cookies: Input should be a valid boolean",
    ),
    (
        "[log]\nformat = 'xml'\n",
        {},
        "log.format : valeur attendue parmi 'text' ou 'json', reçu 'xml'",
        "log.format: Input should be 'text' or 'json'",
    ),
    (
        '[transfers.numbers]\n"SAMU" = "15; Hangup"\n',
        {},
        "transfers.numbers : « SAMU » = '15; Hangup' : un service (15, 112, 3919)",
        "transfers.numbers: 'SAMU' = '15; Hangup': a service (15, 112, 3919)",
    ),
    (
        "[wallboard]\npause_warning_min = 30\npause_alarm_min = 10\n",
        {},
        "pause_alarm_min doit être au moins pause_warning_min",
        "pause_alarm_min must be at least pause_warning_min",
    ),
    (
        "[web]\ntls_cert_file = '/etc/hostname'\n",
        {},
        "(environnement ou dialer.toml) : web.tls_cert_file et web.tls_key_file : renseignez "
        "les deux, ou aucun",
        "(environment or dialer.toml): web.tls_cert_file and web.tls_key_file: set both, or "
        "neither",
    ),
    (
        "[ami]\nhost = '192.0.2.1'\n",
        {},
        "ami.host '192.0.2.1' n'est pas cette machine et l'AMI n'est pas en TLS : mettez "
        "ami.tls = true",
        "ami.host '192.0.2.1' is not this machine and AMI is not over TLS: set ami.tls = true",
    ),
    (
        "",
        {"DIALER_DIALING__CALLER_ID": "Mairie\nAction: Originate"},
        "dialing.caller_id : retours à la ligne et caractères de contrôle interdits",
        "dialing.caller_id: line breaks and control characters are not allowed",
    ),
]


@pytest.mark.parametrize(("toml", "environment", "french", "english"), BAD_SETTINGS)
def test_a_bad_setting_is_one_french_line_naming_it_and_the_fix(
    dialer: Callable[..., Run],
    tmp_path: Path,
    toml: str,
    environment: dict[str, str],
    french: str,
    english: str,
) -> None:
    if toml:
        (tmp_path / "dialer.toml").write_text(toml, encoding="utf-8")
    line = one_line_error(dialer("settings", **environment))
    assert french in line
    assert english not in line
    assert "s3cret" not in line


@pytest.mark.parametrize("english_by", ENGLISH_BY)
@pytest.mark.parametrize(("toml", "environment", "french", "english"), BAD_SETTINGS)
def test_a_bad_setting_is_one_english_line_when_the_operator_chose_english(
    dialer: Callable[..., Run],
    tmp_path: Path,
    toml: str,
    environment: dict[str, str],
    french: str,
    english: str,
    english_by: str,
) -> None:
    if english_by == "file":
        toml = 'language = "en"\n' + toml
    else:
        environment = {**environment, "DIALER_LANGUAGE": "en"}
    if toml:
        (tmp_path / "dialer.toml").write_text(toml, encoding="utf-8")
    line = one_line_error(dialer("settings", **environment), english=True)
    assert english in line
    assert french not in line
    assert "s3cret" not in line


def test_an_unreadable_settings_file_is_one_line_in_french_whatever_it_says(
    dialer: Callable[..., Run], tmp_path: Path
) -> None:
    # the file cannot say its language: French, the default
    (tmp_path / "dialer.toml").write_text('language = "en"\n[web\n', encoding="utf-8")
    line = one_line_error(dialer("settings"))
    assert line.startswith("erreur : fichier de réglages dialer.toml illisible : Expected ']'")
    assert line.endswith("; corrigez sa syntaxe TOML")
    # the environment can
    line = one_line_error(dialer("settings", DIALER_LANGUAGE="en"), english=True)
    assert line.startswith("error: cannot read settings file dialer.toml: Expected ']'")
    assert line.endswith("; fix its TOML syntax")


@pytest.mark.parametrize(
    ("toml", "environment"),
    [
        ('language = "de"\n', {}),
        ('language = "en"\n', {"DIALER_LANGUAGE": "de"}),
        ("language = 1\n", {}),
    ],
)
def test_a_bad_language_is_one_french_line(
    dialer: Callable[..., Run], tmp_path: Path, toml: str, environment: dict[str, str]
) -> None:
    (tmp_path / "dialer.toml").write_text(toml, encoding="utf-8")
    line = one_line_error(dialer("settings", **environment))
    assert "language : valeur attendue parmi 'fr' ou 'en', reçu " in line


def test_the_environment_language_wins_over_the_file(
    dialer: Callable[..., Run], tmp_path: Path
) -> None:
    (tmp_path / "dialer.toml").write_text('language = "fr"\n[web]\nport = 0\n', "utf-8")
    line = one_line_error(dialer("settings", DIALER_LANGUAGE="en"), english=True)
    assert "web.port: Input should be greater than or equal to 1" in line
    line = one_line_error(dialer("settings", DIALER_LANGUAGE="fr"))
    assert "web.port : doit être au moins 1" in line


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "erreur : DIALER_CONFIG=absent.toml : fichier introuvable ; donnez le chemin"),
        ("en", "error: DIALER_CONFIG=absent.toml: no such file; give the path"),
    ],
)
def test_a_missing_settings_file_is_one_line(
    dialer: Callable[..., Run], language: str, expected: str
) -> None:
    done = dialer("settings", DIALER_CONFIG="absent.toml", DIALER_LANGUAGE=language)
    assert one_line_error(done, english=language == "en").startswith(expected)


def test_the_settings_command_still_shows_good_settings(
    dialer: Callable[..., Run], tmp_path: Path
) -> None:
    (tmp_path / "dialer.toml").write_text("[web]\nport = 8181\n", encoding="utf-8")
    done = dialer("settings", DIALER_AMI__ACTION_TIMEOUT_S="2.5")
    assert done.returncode == 0, done.stderr
    assert '"port": 8181' in done.stdout
    assert '"action_timeout_s": 2.5' in done.stdout
    assert "timezone" not in done.stdout


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "erreur : web.port : impossible d'écouter sur 127.0.0.1:{port}, déjà utilisé : "
            "arrêtez ce qui y écoute ou choisissez-en un autre "
            "(DIALER_WEB__HOST, DIALER_WEB__PORT)",
        ),
        (
            "en",
            "error: web.port: cannot listen on 127.0.0.1:{port}, already in use: stop what "
            "listens there or choose another (DIALER_WEB__HOST, DIALER_WEB__PORT)",
        ),
    ],
)
def test_serve_with_its_port_taken_stops_at_once_before_the_database(
    dialer: Callable[..., Run], tmp_path: Path, language: str, expected: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = dialer(
            "serve",
            DIALER_WEB__PORT=str(port),
            DIALER_WEB__SECRET_KEY=SECRET_KEY,
            DIALER_DATABASE_URL="sqlite+aiosqlite:///dialer.db",
            DIALER_AMI__SECRET="unused",
            DIALER_LANGUAGE=language,
        )
    line = one_line_error(done, english=language == "en")
    assert line == expected.format(port=port)
    # nothing ran before: no migration (the database file), hence no AMI session either
    assert not (tmp_path / "dialer.db").exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "web.port : impossible d'écouter sur 192.0.2.1:8080, pas une adresse de cette "
            "machine : choisissez-en une qui l'est",
        ),
        (
            "en",
            "web.port: cannot listen on 192.0.2.1:8080, not an address of this machine: "
            "choose one that is",
        ),
    ],
)
def test_serve_on_an_address_not_of_this_machine_is_one_line(
    dialer: Callable[..., Run], tmp_path: Path, language: str, expected: str
) -> None:
    done = dialer(
        "serve",
        DIALER_WEB__HOST="192.0.2.1",
        DIALER_WEB__TRUSTED_PROXIES='["192.0.2.2"]',
        DIALER_WEB__SECRET_KEY=SECRET_KEY,
        DIALER_DATABASE_URL="sqlite+aiosqlite:///dialer.db",
        DIALER_LANGUAGE=language,
    )
    assert expected in one_line_error(done, english=language == "en")
    assert not (tmp_path / "dialer.db").exists()


#: (command, environment, the French line, the English line): configuration errors found
#: after the settings loaded, by the command that needs them
COMMAND_ERRORS = [
    (
        ("serve",),
        {"DIALER_WEB__SECRET_KEY_FILE": "absent-key"},
        "erreur : web.secret_key_file : impossible de lire absent-key ; vérifiez le chemin "
        "et les droits du fichier",
        "error: web.secret_key_file: cannot read absent-key; check the file's path and permissions",
    ),
    (
        ("serve",),
        {"DIALER_WEB__SECRET_KEY_FILE": "binary-key"},
        "erreur : web.secret_key_file : binary-key n'est pas du texte UTF-8 ; écrivez le "
        "secret en texte sur sa première ligne",
        "error: web.secret_key_file: binary-key is not UTF-8 text; write the secret as text "
        "on its first line",
    ),
    (
        ("serve",),
        {"DIALER_WEB__SECRET_KEY_FILE": "."},
        "erreur : web.secret_key_file : impossible de lire . ; vérifiez le chemin et les "
        "droits du fichier",
        "error: web.secret_key_file: cannot read .; check the file's path and permissions",
    ),
    (
        ("serve",),
        {},
        "erreur : web.secret_key : renseignez DIALER_WEB__SECRET_KEY ou "
        "DIALER_WEB__SECRET_KEY_FILE (au moins 32 caractères)",
        "error: web.secret_key: set DIALER_WEB__SECRET_KEY or DIALER_WEB__SECRET_KEY_FILE "
        "(>= 32 characters)",
    ),
    (
        ("db", "migrate"),
        {"DIALER_DATABASE_PASSWORD_FILE": "empty-password"},
        "erreur : database_password_file : empty-password est vide ; écrivez le secret sur "
        "sa première ligne",
        "error: database_password_file: empty-password is empty; write the secret on its "
        "first line",
    ),
    (
        ("db", "migrate"),
        {"DIALER_DATABASE_PASSWORD_FILE": "password"},
        "erreur : database_password_file : seulement pour une database_url postgresql://, "
        "pas sqlite+aiosqlite:// ; retirez database_password_file",
        "error: database_password_file: only for a postgresql:// database_url, not "
        "sqlite+aiosqlite://; unset database_password_file",
    ),
    (
        ("db", "migrate"),
        {"DIALER_DATABASE_URL": "sqlite+aiosqlite://:x@:y:z"},
        "erreur : database_url : 'sqlite+aiosqlite://:***@:y:z' illisible ; écrivez "
        "sqlite+aiosqlite:///chemin/dialer.db ou postgresql+asyncpg://utilisateur@hôte/base",
        "error: database_url: cannot parse 'sqlite+aiosqlite://:***@:y:z'; write "
        "sqlite+aiosqlite:///path/dialer.db or postgresql+asyncpg://user@host/db",
    ),
    (
        ("backup", "copy.db"),
        {"DIALER_DATABASE_URL": "postgresql+asyncpg://dialer@db/dialer"},
        "erreur : database_url : la sauvegarde intégrée ne copie que SQLite ; pour "
        "PostgreSQL, utilisez pg_dump --format=custom (voir docs/operations.md)",
        "error: database_url: the built-in backup copies SQLite only; for PostgreSQL, use "
        "pg_dump --format=custom (see docs/operations.md)",
    ),
    (
        ("backup", "copy.db"),
        {"DIALER_DATABASE_URL": "sqlite+aiosqlite:///absent.db"},
        "erreur : absent.db : base de données introuvable ; vérifiez database_url",
        "error: absent.db: no such database; check database_url",
    ),
    (
        ("asterisk", "prompts", "--sounds", ".", "--recording", "absent.wav"),
        {},
        "erreur : absent.wav : enregistrement introuvable ; donnez le chemin d'un fichier "
        "audio existant",
        "error: absent.wav: no such recording; give the path of an existing sound file",
    ),
]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("command", "environment", "french", "english"), COMMAND_ERRORS)
def test_a_command_s_configuration_error_is_one_line_in_the_operator_s_language(
    dialer: Callable[..., Run],
    tmp_path: Path,
    command: tuple[str, ...],
    environment: dict[str, str],
    french: str,
    english: str,
    language: str,
) -> None:
    (tmp_path / "empty-password").write_text("\n", encoding="utf-8")
    (tmp_path / "password").write_text("s3cret\n", encoding="utf-8")
    (tmp_path / "binary-key").write_bytes(b"\xff\xfe" + b"k" * 40)
    (tmp_path / "dialer.toml").write_text(f'language = "{language}"\n', encoding="utf-8")
    line = one_line_error(dialer(*command, **environment), english=language == "en")
    assert line == (english if language == "en" else french)
    assert "s3cret" not in line
    assert not (tmp_path / "dialer.db").exists()


def test_a_long_or_binary_bad_value_still_gives_one_short_line(
    dialer: Callable[..., Run], tmp_path: Path
) -> None:
    done = dialer("settings", DIALER_WEB__PORT="8" * 500 + "x\nAction: Originate")
    line = one_line_error(done)
    assert "web.port : nombre entier attendu, reçu '88888888" in line
    assert len(line) < 200
    done = dialer("settings", DIALER_WEB__PORT="8" * 5000)
    assert "web.port : nombre entier attendu, reçu un nombre bien trop long" in (
        one_line_error(done)
    )
    (tmp_path / "dialer.toml").write_bytes(b"\x00\xff\xfe language")
    line = one_line_error(dialer("settings"))
    assert line.startswith("erreur : fichier de réglages dialer.toml illisible : ")
