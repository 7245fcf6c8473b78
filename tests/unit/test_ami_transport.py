"""AMI transport: over TLS, or plain on this machine only. A plain AMI session to another
machine would carry the AMI secret and every dialled number in clear: the settings refuse
it (``dialer`` fails at load, naming ``ami.allow_plain_remote``) and so does the client."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from dialer.cli import cli
from dialer.errors import AmiConnectionError, ConfigurationError
from dialer.service import ami_credentials
from dialer.settings import AmiSettings, Settings, is_loopback
from dialer.telephony.ami import AmiClient, AmiCredentials
from tests.unit.test_ami_client import FakeAmi


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("ami-tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _settings_exit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["settings"])
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_a_plain_remote_ami_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, message = _settings_exit(monkeypatch, tmp_path, DIALER_AMI__HOST="192.0.2.10")
    assert code != 0
    assert "ami.allow_plain_remote" in message
    assert "ami.tls" in message


@pytest.mark.parametrize(
    "env",
    [
        {"DIALER_AMI__HOST": "192.0.2.10", "DIALER_AMI__TLS": "true", "DIALER_AMI__PORT": "5039"},
        {"DIALER_AMI__HOST": "192.0.2.10", "DIALER_AMI__ALLOW_PLAIN_REMOTE": "true"},
        {"DIALER_AMI__HOST": "localhost"},
        {"DIALER_AMI__HOST": "::1"},
    ],
)
def test_tls_loopback_or_an_explicit_allowance_is_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]
) -> None:
    code, message = _settings_exit(monkeypatch, tmp_path, **env)
    assert code == 0, message


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("[::1]", True),
        ("LOCALHOST", True),
        ("10.0.0.5", False),
        ("asterisk.example.org", False),
        ("localhost.evil.example", False),
        ("0.0.0.0", False),  # noqa: S104 - an address, not a bind
    ],
)
def test_what_counts_as_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.asyncio
async def test_the_client_refuses_plain_remote_credentials_before_connecting() -> None:
    credentials = AmiCredentials("192.0.2.10", 5038, "dialer", "secret")
    with pytest.raises(ConfigurationError, match=r"ami\.allow_plain_remote"):
        await AmiClient(credentials, action_timeout_s=0.2).connect()


def test_the_service_passes_the_tls_settings_on(tmp_path: Path) -> None:
    ami = AmiSettings(
        host="192.0.2.10", port=5039, secret=SecretStr("s"), tls=True, tls_ca_file=tmp_path
    )
    settings = Settings(ami=ami)
    credentials = ami_credentials(settings)
    assert (credentials.tls, credentials.tls_ca_file) == (True, str(tmp_path))
    assert credentials.allow_plain_remote is False


@pytest.mark.asyncio
async def test_ami_over_tls_logs_in_and_checks_the_certificate(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    fake = FakeAmi()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    try:
        trusted = AmiCredentials(
            "127.0.0.1", port, "dialer", "secret", tls=True, tls_ca_file=str(cert)
        )
        async with AmiClient(trusted) as client:
            await client.ping()
        assert [a["Action"] for a in fake.received] == ["Login", "Ping"]
        # an AMI certificate the system's authorities did not sign: no login, no secret sent
        untrusted = AmiCredentials("127.0.0.1", port, "dialer", "other-secret", tls=True)
        with pytest.raises(AmiConnectionError, match=r"AMI 127\.0\.0\.1"):
            await AmiClient(untrusted, action_timeout_s=1.0).connect()
        assert all(a.get("Secret") != "other-secret" for a in fake.received)
    finally:
        for writer in fake.writers:
            writer.close()
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
