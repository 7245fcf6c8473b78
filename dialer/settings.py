"""The one settings object: environment over TOML file over defaults.

Environment variables start with ``DIALER_`` and nest with ``__``
(``DIALER_AMI__SECRET``, ``DIALER_TRUNK__HOST``). The TOML file is ``$DIALER_CONFIG``,
else ``./dialer.toml`` when it exists. Secrets are :class:`pydantic.SecretStr`: they print
as ``**********`` and never reach a log line. No secret has a default in the code.

Load the settings once, at the edge (the CLI, the web app), and pass them down.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dialer.core.operator_messages import Language, choose_language, say
from dialer.core.transfers import dialable
from dialer.core.wallboard import Thresholds
from dialer.errors import ConfigurationError
from dialer.settings_files import BillingSettings, TemplateSettings
from dialer.settings_problems import validation_problems

DEFAULT_CONFIG_FILE = Path("dialer.toml")
ENV_PREFIX = "DIALER_"
#: the database drivers the dialer runs on, by URL scheme
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


def is_loopback(host: str) -> bool:
    """``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def first_line_of(path: Path, setting: str) -> str:
    """The secret a file holds (its first line, stripped); ``setting`` names it in errors."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigurationError(
            say("settings.secret_unreadable", setting=setting, path=path)
        ) from exc
    except UnicodeDecodeError:
        raise ConfigurationError(
            say("settings.secret_not_text", setting=setting, path=path)
        ) from None
    if not lines or not lines[0].strip():
        raise ConfigurationError(say("settings.secret_empty", setting=setting, path=path))
    return lines[0].strip()


def with_password(url: str, password: str) -> str:
    """``url`` (``postgresql+asyncpg://user@host/db``) with ``password`` put in it."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgresql"):
        raise ConfigurationError(say("settings.password_not_postgresql", scheme=parts.scheme))
    user, at, host = parts.netloc.rpartition("@")
    if not at or not user:
        raise ConfigurationError(say("settings.url_no_user"))
    if ":" in user:
        raise ConfigurationError(say("settings.url_has_password"))
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


class Section(BaseModel):
    """A ``[section]`` of the settings: an unknown key is an error (a misspelt ``[web]
    prot`` must not silently leave the port at its default)."""

    model_config = ConfigDict(extra="forbid")


class AmiSettings(Section):
    """How the controller reaches Asterisk's manager interface."""

    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "dialer"
    secret: SecretStr | None = None
    #: a file holding the secret (its first line), when it is not set itself
    secret_file: Path | None = None
    action_timeout_s: float = Field(default=5.0, gt=0)
    #: AMI over TLS (Asterisk's ``manager.conf`` ``tlsenable``, port 5039 by convention)
    tls: bool = False
    #: the certificate authority that signed Asterisk's AMI certificate (None: the system's)
    tls_ca_file: Path | None = None
    #: a plain (unencrypted) AMI session to another machine sends the AMI secret and every
    #: called number in clear: refused unless this is set
    allow_plain_remote: bool = False

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> Self:
        if not self.tls and not self.allow_plain_remote and not is_loopback(self.host):
            raise ValueError(say("settings.ami_plain_remote", host=self.host))
        return self

    def configured_secret(self) -> str | None:
        """``secret``, else the first line of ``secret_file``, else ``None``."""
        if self.secret is not None:
            return self.secret.get_secret_value()
        if self.secret_file is None:
            return None
        return first_line_of(self.secret_file, "ami.secret_file")


class SipSettings(Section):
    """Where Asterisk's PJSIP listens, and its media ports."""

    bind_host: str = "127.0.0.1"
    port: int = Field(default=5060, ge=1, le=65535)
    rtp_start: int = Field(default=10000, ge=1024, le=65535)
    #: each call leg takes two ports (RTP + RTCP): 10,000 ports carry 5,000 legs, i.e.
    #: 2,500 people each talking to an agent (a 1,000-port range stopped at 500 legs)
    rtp_end: int = Field(default=20000, ge=1024, le=65535)
    #: TLS transport for agents working from home (their softphones use TLS + SRTP)
    tls_bind_host: str = "0.0.0.0"  # noqa: S104 - remote agents connect from outside
    tls_port: int = Field(default=5061, ge=1, le=65535)
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    #: the address Asterisk announces to remote agents behind NAT (its public address)
    external_address: str | None = None
    #: Asterisk's HTTP server, which carries the browser phones' SIP over WebSocket
    #: (``/ws``); on loopback, behind the reverse proxy that serves it as WSS (docs/deployment.md)
    http_bind_host: str = "127.0.0.1"
    http_port: int = Field(default=8088, ge=1, le=65535)
    #: Asterisk's own TLS for the WebSocket (``wss`` on this port, with ``tls_cert_file``)
    #: when no reverse proxy serves it; 0: none
    https_port: int = Field(default=0, ge=0, le=65535)
    #: the address browser phones reach Asterisk's WebSocket at (``wss://…/ws`` in production)
    webrtc_url: str = "ws://127.0.0.1:8088/ws"
    #: STUN/TURN servers given to browser phones (``stun:host:3478``, ``turn:host:3478``)
    ice_servers: list[str] = Field(default_factory=list)
    #: TURN credentials for ``ice_servers`` (same for every agent; prefer a TURN with
    #: short-lived credentials in production, see docs/deployment.md)
    turn_username: str = ""
    turn_password: SecretStr | None = None

    @field_validator("webrtc_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError(say("settings.webrtc_url", value=value))
        return value


class TrunkSettings(Section):
    """The carrier trunk. The rig points it at the simulated telephone network (sipp)."""

    name: str = "carrier"
    host: str = "127.0.0.1"
    port: int = Field(default=5070, ge=1, le=65535)
    transport: str = "udp"
    username: str | None = None
    password: SecretStr | None = None
    from_domain: str | None = None


class DialingSettings(Section):
    """How calls are placed and answered people are held for an agent."""

    #: seconds an answered person waits for an agent before the information message plays;
    #: with the controller's reaction this keeps the 2-second promise (Ofcom/FTC rule)
    join_window_s: float = Field(default=1.5, gt=0, le=1.8)
    #: default ring timeout; older people answer slowly, and rules ask for at least 15 s
    ring_timeout_s: int = Field(default=30, ge=15, le=120)
    #: the service named in the information message, and the number people can call back
    service_name: str = "service des solidarités"
    callback_number: str = ""
    #: sent to Asterisk as the ``CallerID`` header of each call: ``"Name" <number>`` or a
    #: number, on one line
    caller_id: str = Field(default="", max_length=80)

    @field_validator("caller_id", "callback_number", "opening_hours")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ord(character) < 32 or ord(character) == 127 for character in value):
            raise ValueError(say("settings.control_characters"))
        return value

    #: seconds a person who calls the campaign's number waits for a free agent (hearing the
    #: waiting message) before being told that we will call back
    inbound_wait_s: int = Field(default=30, ge=5, le=300)
    #: seconds a household of a veille-sociale campaign who calls in waits for its own
    #: volunteer (assigned, else the one who last talked to it) when they are busy on a
    #: call or its wrap-up, before any other volunteer of the campaign takes it; cut to
    #: leave 5 s of ``inbound_wait_s`` for them (0: never waits)
    own_volunteer_wait_s: int = Field(default=20, ge=0, le=300)
    #: the calling hours as the closed message says them (« Nous répondons … »)
    opening_hours: str = Field(
        default="du lundi au samedi, de 9 heures à 19 heures", max_length=200
    )

    #: seconds after which a person offered to an agent (preview, a reserved call-back) is
    #: dialled by itself; 0: only when the agent clicks « Appeler »
    preview_countdown_s: int = Field(default=0, ge=0, le=600)
    #: seconds a stop (SIGTERM, Ctrl-C) waits for the calls in progress and their sheets
    #: before releasing the agents' lines and exiting (a supervisor's stop timeout, such
    #: as systemd's TimeoutStopSec, must be longer)
    stop_drain_s: int = Field(default=120, ge=0, le=3600)


class WebSettings(Section):
    """The web service (agents' screens, supervision, intervention teams' inboxes)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    #: signs session cookies; required by ``dialer serve`` (>= 32 characters)
    secret_key: SecretStr | None = None
    #: a file holding the secret key (its first line), when it is not set itself (systemd's
    #: ``LoadCredential``, a container's secret)
    secret_key_file: Path | None = None
    #: False only for plain-HTTP use on loopback (the demo, tests); always on with TLS
    secure_cookies: bool = True
    #: built-in HTTPS: uvicorn serves TLS with this certificate chain and private key (PEM)
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    #: addresses of reverse proxies whose X-Forwarded-Proto/-For headers are believed (a
    #: proxy terminating TLS says ``https``: HSTS and secure cookies follow); "*" trusts all
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    #: HSTS max-age sent on every response served over HTTPS (one year)
    hsts_max_age_s: int = Field(default=31_536_000, ge=0)
    session_lifetime_h: float = Field(default=8.0, gt=0)
    session_idle_min: float = Field(default=30.0, gt=0)
    #: the address remote agents' softphones register to (TLS), shown on their profile page
    sip_public_host: str = "sip.example.invalid"
    sip_tls_port: int = Field(default=5061, ge=1, le=65535)
    #: the address of the inbox in alert e-mails
    public_url: str = "http://127.0.0.1:8080"
    #: /metrics for a Prometheus scraper elsewhere: ``Authorization: Bearer <token>``
    #: (unset: only clients on this machine may read /metrics)
    metrics_token: SecretStr | None = None
    #: login attempts the whole service takes a second (bursts of ``login_burst``), and
    #: from one address a minute (bursts of ``login_address_burst``); on top, each
    #: username tried from an address waits 1 s, 2 s, 4 s… after each attempt until one
    #: succeeds (see dialer/core/login_limits.py)
    login_attempts_per_s: float = Field(default=10.0, gt=0)
    login_burst: int = Field(default=30, ge=1)
    login_attempts_per_address_per_min: float = Field(default=30.0, gt=0)
    login_address_burst: int = Field(default=30, ge=1)
    #: API tokens' life when ``dialer api-token create`` is not given ``--days``
    api_token_days: int = Field(default=90, ge=1, le=366)

    @model_validator(mode="after")
    def _https_for_the_screens(self) -> Self:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError(say("settings.tls_pair"))
        remote_proxy = any(not is_loopback(address) for address in self.trusted_proxies)
        if not self.tls and not is_loopback(self.host) and not remote_proxy:
            raise ValueError(say("settings.plain_http", host=self.host))
        for name, path in (
            ("tls_cert_file", self.tls_cert_file),
            ("tls_key_file", self.tls_key_file),
        ):
            if path is not None and not path.is_file():
                raise ValueError(say("settings.not_a_file", name=name, path=path))
        return self

    def configured_secret_key(self) -> str | None:
        """``secret_key``, else the first line of ``secret_key_file``, else ``None``."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.secret_key_file is None:
            return None
        return first_line_of(self.secret_key_file, "web.secret_key_file")

    @property
    def tls(self) -> bool:
        """The service itself serves HTTPS."""
        return self.tls_cert_file is not None

    @property
    def cookies_secure(self) -> bool:
        """Session cookies carry ``Secure`` (always when the service serves HTTPS)."""
        return self.secure_cookies or self.tls


class RetentionSettings(Section):
    """How long each kind of personal data is kept (GDPR art. 5(1)(e), storage limitation);
    the service purges what is older once a day, ``dialer purge`` on demand. The defaults
    and their reasons are in docs/security.md ("Retention")."""

    #: questionnaire answers and free-text notes (call sheets, callbacks, results)
    answers_months: int = Field(default=12, ge=1, le=120)
    #: acknowledged alerts and their deliveries (open alerts are kept until acknowledged)
    alerts_months: int = Field(default=24, ge=1, le=120)
    #: never-reached and wrong-number lists of closed cycles (field follow-up)
    never_reached_months: int = Field(default=6, ge=1, le=120)
    #: the attempt ledger of closed cycles (numbers dialled, times, outcomes); billing
    #: totals of each cycle are kept before its rows go
    ledger_months: int = Field(default=24, ge=1, le=120)
    #: the audit log
    audit_months: int = Field(default=12, ge=6, le=120)
    #: web sessions, even unexpired ones, are deleted this long after they opened
    web_sessions_h: float = Field(default=12.0, gt=0, le=24 * 31)
    #: after a household withdrew its consent to the volunteer calls, what they collected
    #: about it (answers, notes) goes after this long; the consents stay as proof
    withdrawn_consent_months: int = Field(default=3, ge=1, le=120)
    #: the hour (UTC) of the daily purge
    purge_hour_utc: int = Field(default=2, ge=0, le=23)


class SmtpSettings(Section):
    """Alert e-mails. Without a host, alerts go to the in-app inbox and webhooks only."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = "veille@localhost"
    username: str | None = None
    password: SecretStr | None = None
    security: str = Field(default="starttls", pattern="^(starttls|tls|none)$")


class RigSettings(Section):
    """The local Asterisk rig: a Debian sid chroot with Asterisk 22, and the simulated world."""

    root: Path = Path("/var/lib/dialer-rig")
    suite: str = "sid"
    mirror: str | None = None  # None: the mirror already configured in the machine's apt sources
    agents: int = Field(default=3, ge=0, le=200)
    first_agent_extension: int = Field(default=1001, ge=100)
    softphone_first_port: int = Field(default=5080, ge=1024, le=65000)
    #: benchmark agents: PJSIP endpoints bench-agent-1..N answered by one sipp (agent farm)
    bench_agents: int = Field(default=0, ge=0, le=1000)
    agent_farm_port: int = Field(default=5090, ge=1024, le=65000)
    start_timeout_s: float = Field(default=60.0, gt=0)
    #: the rig's own webhook receivers listen on 127.0.0.1 over plain http: let alert
    #: webhooks reach them (never set in production: webhooks go to public https addresses)
    loopback_webhooks: bool = False

    @property
    def ami_secret_file(self) -> Path:
        """Where the rig writes the AMI secret it generated, for ``ami.secret_file``."""
        return self.root / "ami-secret"


class CycleSettings(Section):
    """The cycles of an alert episode and the retry delays of the campaigns the service
    starts. Unset: the template's (48 h cycles, busy 15 min, no answer 3 h, ...). In
    minutes, so the rig and the demo run minute-long cycles through the same code as 48 h.
    """

    length_min: float | None = Field(default=None, gt=0)
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    busy_delay_min: float | None = Field(default=None, ge=0)
    no_answer_delay_min: float | None = Field(default=None, ge=0)
    machine_delay_min: float | None = Field(default=None, ge=0)
    answered_delay_min: float | None = Field(default=None, ge=0)
    failure_delay_min: float | None = Field(default=None, ge=0)
    min_gap_min: float | None = Field(default=None, ge=0)
    time_of_day_spread_min: float | None = Field(default=None, ge=0)
    ring_allowance_min: float | None = Field(default=None, gt=0)
    #: the call-back owed after an abandon is late (shown to the supervisor) after this
    abandon_callback_within_min: float | None = Field(default=None, ge=0)
    #: an agent's own callback waits for them this long after its hour, then goes to anyone
    callback_grace_min: float | None = Field(default=None, ge=0)
    #: a person not reached this long before the deadline (default 6 h), or whose attempts
    #: are used, has their relative (« contact proche ») called by an agent
    relative_before_deadline_min: float | None = Field(default=None, ge=0)
    #: at most this many calls to a person's relative per cycle (default 2)
    relative_calls_per_cycle: int | None = Field(default=None, ge=0, le=10)
    #: between two calls to the same relative (default 60 min)
    relative_retry_gap_min: float | None = Field(default=None, ge=0)
    #: calling windows open all day every day (the rig and the demo, whatever the hour)
    all_day_windows: bool = False
    #: how often the service checks whether a cycle is due to close or open
    check_s: float = Field(default=5.0, gt=0, le=300)


class LogSettings(Section):
    """The service's log on standard error (``dialer --log-level`` overrides the level)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: ``text``: a line per record; ``json``: a JSON object per line (a log collector's)
    format: Literal["text", "json"] = "text"
    #: one line per HTTP request (method, route, status, duration; never a query string,
    #: a name or an address)
    access_log: bool = True

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class TransferSettings(Section):
    """The numbers an agent may transfer a call to (``[transfers]``): label shown on the
    agent's screen → number dialled through the trunk (services, teams' duty phones). The
    relative on the person's record is offered too."""

    numbers: dict[str, str] = Field(
        default_factory=lambda: {
            "SAMU (15)": "15",
            "Urgences (112)": "112",
            "Violences femmes info (3919)": "3919",
        }
    )
    #: the agent may also type a number of their own (checked: a service, a national or an
    #: international number)
    free_numbers: bool = False
    #: how long the third party's phone rings before the person comes back to the agent
    ring_timeout_s: int = Field(default=30, ge=5, le=120)

    @model_validator(mode="after")
    def _numbers_are_dialable(self) -> Self:
        for label, number in self.numbers.items():
            if not label.strip() or dialable(number) != number:
                raise ValueError(say("settings.transfer_number", label=label, number=number))
        return self


class ReportSettings(Section):
    """The reports' publication rules."""

    #: the needs analysis (veille sociale) publishes no count under this many households
    #: (or orientations, follow-ups): such a cell shows « secret », with enough others hidden
    #: that it cannot be worked out from the totals
    needs_min_cell: int = Field(default=5, ge=2, le=100)


class WallboardSettings(Section):
    """The live wallboard's colour thresholds and trend (``/tableau-de-bord``)."""

    #: today's abandon rate turns orange from this share of the campaign's cap (red at it)
    abandon_warning_share: float = Field(default=0.8, gt=0, le=1)
    #: an agent's pause turns orange, then red, after these many minutes
    pause_warning_min: float = Field(default=10.0, gt=0)
    pause_alarm_min: float = Field(default=20.0, gt=0)
    #: answered people waiting for an agent: orange from, red from
    waiting_warning: int = Field(default=1, ge=1)
    waiting_alarm: int = Field(default=3, ge=1)
    #: the width of the day's trend bars
    trend_bucket_min: int = Field(default=15, ge=1, le=240)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.pause_alarm_min < self.pause_warning_min:
            raise ValueError(say("settings.pause_order"))
        if self.waiting_alarm < self.waiting_warning:
            raise ValueError(say("settings.waiting_order"))
        return self

    def thresholds(self) -> Thresholds:
        return Thresholds(
            abandon_warning_share=self.abandon_warning_share,
            pause_warning=timedelta(minutes=self.pause_warning_min),
            pause_alarm=timedelta(minutes=self.pause_alarm_min),
            waiting_warning=self.waiting_warning,
            waiting_alarm=self.waiting_alarm,
            trend_bucket=timedelta(minutes=self.trend_bucket_min),
        )


class Settings(BaseSettings):
    """Everything the dialer can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = "sqlite+aiosqlite:///var/dialer.db"
    #: a file holding the database password (its first line), put into ``database_url``
    #: (which then names the user but no password): systemd's ``LoadCredential``, the
    #: compose file's secret shared with the PostgreSQL container
    database_password_file: Path | None = None
    #: the operator's language: log lines, command-line and configuration errors (``fr`` or
    #: ``en``), read first by :func:`load_settings` so its own errors speak it; the screens
    #: are French
    language: Language = Language.FRENCH
    ami: AmiSettings = AmiSettings()
    sip: SipSettings = SipSettings()
    trunk: TrunkSettings = TrunkSettings()
    dialing: DialingSettings = DialingSettings()
    web: WebSettings = WebSettings()
    smtp: SmtpSettings = SmtpSettings()
    rig: RigSettings = RigSettings()
    billing: BillingSettings = BillingSettings()
    templates: TemplateSettings = TemplateSettings()
    retention: RetentionSettings = RetentionSettings()
    cycles: CycleSettings = CycleSettings()
    wallboard: WallboardSettings = WallboardSettings()
    reports: ReportSettings = ReportSettings()
    transfers: TransferSettings = TransferSettings()
    log: LogSettings = LogSettings()

    def database_address(self) -> str:
        """``database_url``, with the password of ``database_password_file`` when set."""
        if self.database_password_file is None:
            return self.database_url
        password = first_line_of(self.database_password_file, "database_password_file")
        return with_password(self.database_url, password)

    @field_validator("database_url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        scheme = value.partition("://")[0]
        if scheme in DATABASE_SCHEMES:
            return value
        backend = scheme.partition("+")[0]
        if backend in ("sqlite", "postgresql", "postgres"):
            fixed = "sqlite+aiosqlite" if backend == "sqlite" else "postgresql+asyncpg"
            raise ValueError(say("settings.no_driver", scheme=scheme, fixed=fixed))
        raise ValueError(say("settings.not_a_database", scheme=scheme or value))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("DIALER_CONFIG", DEFAULT_CONFIG_FILE))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file),
        )


def load_settings() -> Settings:
    """Load the settings once. Raises :class:`ConfigurationError`, on one line, naming the
    bad setting and what to write instead, in the operator's language (chosen first, from
    ``DIALER_LANGUAGE`` or the file's ``language``); unknown keys are refused at every level
    (in the file, and ``DIALER_SECTION__KEY`` variables of the environment)."""
    config_file = os.environ.get("DIALER_CONFIG")
    source = Path(config_file) if config_file is not None else DEFAULT_CONFIG_FILE
    choose_language(early_language(os.environ, source))
    if config_file is not None and not source.is_file():
        raise ConfigurationError(say("settings.no_config_file", path=config_file))
    unknown = unknown_environment_sections(os.environ)
    if unknown:
        problem = say("settings.unknown_section", name=unknown[0], sections=", ".join(_sections()))
        raise ConfigurationError(say("settings.invalid_environment", problems=problem))
    try:
        return Settings()
    except ValidationError as exc:
        problems = validation_problems(exc, Settings)
        raise ConfigurationError(
            say("settings.invalid", source=source, problems=problems)
        ) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        reason = " ".join(str(exc).split())
        raise ConfigurationError(say("settings.unreadable", source=source, reason=reason)) from None


def early_language(environment: Mapping[str, str], config_file: Path) -> Language:
    """The operator's language before the settings are validated (their errors speak it):
    ``DIALER_LANGUAGE``, else the file's top-level ``language``; French when neither is
    set or it is not a language (the settings' validation then says so, in French)."""
    chosen: object = environment.get(f"{ENV_PREFIX}LANGUAGE")
    if chosen is None:
        try:
            with config_file.open("rb") as file:
                chosen = tomllib.load(file).get("language")
        except (OSError, ValueError):  # absent, unreadable or malformed: reported later
            chosen = None
    if isinstance(chosen, str) and chosen in tuple(Language):
        return Language(chosen)
    return Language.FRENCH


def unknown_environment_sections(environment: Mapping[str, str]) -> list[str]:
    """The ``DIALER_SECTION__KEY`` variables whose section does not exist (pydantic-settings
    would ignore them; a variable without ``__`` may be another tool's, like
    ``DIALER_CONFIG``)."""
    sections = set(_sections())
    found = []
    for name in environment:
        rest = name[len(ENV_PREFIX) :] if name.upper().startswith(ENV_PREFIX) else ""
        section, nested, _ = rest.partition("__")
        if nested and section.lower() not in sections:
            found.append(name)
    return sorted(found)


def _sections() -> list[str]:
    return [
        name
        for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    ]
