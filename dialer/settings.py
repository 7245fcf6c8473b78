"""The one settings object: environment over TOML file over defaults.

Environment variables start with ``DIALER_`` and nest with ``__``
(``DIALER_AMI__SECRET``, ``DIALER_TRUNK__HOST``). The TOML file is ``$DIALER_CONFIG``,
else ``./dialer.toml`` when it exists. Secrets are :class:`pydantic.SecretStr`: they print
as ``**********`` and never reach a log line. No secret has a default in the code.

Load the settings once, at the edge (the CLI, the web app), and pass them down.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dialer.errors import ConfigurationError

DEFAULT_CONFIG_FILE = Path("dialer.toml")


class AmiSettings(BaseModel):
    """How the controller reaches Asterisk's manager interface."""

    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "dialer"
    secret: SecretStr | None = None
    #: a file holding the secret (its first line), when it is not set itself
    secret_file: Path | None = None
    action_timeout_s: float = Field(default=5.0, gt=0)

    def configured_secret(self) -> str | None:
        """``secret``, else the first line of ``secret_file``, else ``None``."""
        if self.secret is not None:
            return self.secret.get_secret_value()
        if self.secret_file is None:
            return None
        try:
            lines = self.secret_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigurationError(f"ami.secret_file: cannot read {self.secret_file}") from exc
        if not lines or not lines[0].strip():
            raise ConfigurationError(f"ami.secret_file: {self.secret_file} is empty")
        return lines[0].strip()


class SipSettings(BaseModel):
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


class TrunkSettings(BaseModel):
    """The carrier trunk. The rig points it at the simulated telephone network (sipp)."""

    name: str = "carrier"
    host: str = "127.0.0.1"
    port: int = Field(default=5070, ge=1, le=65535)
    transport: str = "udp"
    username: str | None = None
    password: SecretStr | None = None
    from_domain: str | None = None


class DialingSettings(BaseModel):
    """How calls are placed and answered people are held for an agent."""

    #: seconds an answered person waits for an agent before the information message plays;
    #: with the controller's reaction this keeps the 2-second promise (Ofcom/FTC rule)
    join_window_s: float = Field(default=1.5, gt=0, le=1.8)
    #: default ring timeout; older people answer slowly, and rules ask for at least 15 s
    ring_timeout_s: int = Field(default=30, ge=15, le=120)
    #: the service named in the information message, and the number people can call back
    service_name: str = "service des solidarités"
    callback_number: str = ""
    caller_id: str = ""
    #: seconds after which a person offered to an agent (preview, a reserved call-back) is
    #: dialled by itself; 0: only when the agent clicks « Appeler »
    preview_countdown_s: int = Field(default=0, ge=0, le=600)


class WebSettings(BaseModel):
    """The web service (agents' screens, supervision, intervention teams' inboxes)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    #: signs session cookies; required by ``dialer serve`` (>= 32 characters)
    secret_key: SecretStr | None = None
    #: False only for plain-HTTP use on loopback (the demo, tests)
    secure_cookies: bool = True
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


class SmtpSettings(BaseModel):
    """Alert e-mails. Without a host, alerts go to the in-app inbox and webhooks only."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = "veille@localhost"
    username: str | None = None
    password: SecretStr | None = None
    security: str = Field(default="starttls", pattern="^(starttls|tls|none)$")


class RigSettings(BaseModel):
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

    @property
    def ami_secret_file(self) -> Path:
        """Where the rig writes the AMI secret it generated, for ``ami.secret_file``."""
        return self.root / "ami-secret"


class BillingSettings(BaseModel):
    """Reports' billing: the price grid (TOML). None: the grid shipped in
    ``dialer/reports/price_grid.toml``, whose comments document the format."""

    price_grid_file: Path | None = None


class Settings(BaseSettings):
    """Everything the dialer can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix="DIALER_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = "sqlite+aiosqlite:///var/dialer.db"
    timezone: str = "Europe/Paris"
    ami: AmiSettings = AmiSettings()
    sip: SipSettings = SipSettings()
    trunk: TrunkSettings = TrunkSettings()
    dialing: DialingSettings = DialingSettings()
    web: WebSettings = WebSettings()
    smtp: SmtpSettings = SmtpSettings()
    rig: RigSettings = RigSettings()
    billing: BillingSettings = BillingSettings()

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
    """Load the settings once. Raises :class:`ConfigurationError` naming the bad field."""
    config_file = os.environ.get("DIALER_CONFIG")
    if config_file is not None and not Path(config_file).is_file():
        raise ConfigurationError(f"DIALER_CONFIG={config_file}: no such file")
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        source = config_file or DEFAULT_CONFIG_FILE
        raise ConfigurationError(f"invalid settings (environment or {source}): {problems}") from exc
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigurationError(f"cannot read settings file: {exc}") from exc
