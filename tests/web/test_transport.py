"""Transport: HTTPS for the screens (uvicorn's own TLS, or a TLS-terminating reverse proxy
that is trusted), HSTS on every response over HTTPS, secure cookies on TLS, and the
settings that configure them checked at load (``dialer settings``)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from starlette.applications import Starlette

from dialer.cli import cli
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.service import start_serving, web_server_config
from dialer.settings import Settings, WebSettings
from dialer.storage import SessionFactory
from dialer.testing import Clock
from dialer.web.app import create_app
from tests.web.conftest import client_for, log_in
from tests.web.support import SECRET_KEY, FakeDesk, World, fast_passwords
from tests.web.test_delivery import free_port

HSTS = "strict-transport-security"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    directory = tmp_path_factory.mktemp("tls")
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
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.asynccontextmanager
async def serving(app: Starlette, settings: Settings) -> AsyncIterator[int]:
    """``app`` under uvicorn configured as ``dialer serve`` configures it; yields its port."""
    server = uvicorn.Server(web_server_config(app, settings.web))
    task = await start_serving(server)
    try:
        yield settings.web.port
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.asyncio
async def test_hsts_on_every_https_response_and_never_on_plain_http(app: Starlette) -> None:
    async with client_for(app) as plain:
        page = await plain.get("/connexion")
        assert page.status_code == 200
        assert HSTS not in page.headers
    secure = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    )
    async with secure:
        for path in ("/connexion", "/page-inexistante", "/static/app.css"):
            response = await secure.get(path)
            assert response.headers[HSTS] == "max-age=31536000", path


@pytest.mark.asyncio
async def test_built_in_tls_serves_https_with_hsts_and_secure_cookies(
    sessions: SessionFactory,
    world: World,
    catalog: QuestionnaireCatalog,
    clock: Clock,
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    web = WebSettings(port=free_port(), tls_cert_file=cert, tls_key_file=key, secure_cookies=False)
    settings = Settings(web=web)
    assert settings.web.tls
    assert settings.web.cookies_secure  # on TLS, whatever secure_cookies says
    app = create_app(
        sessions=sessions,
        engine=FakeDesk(clock),
        questionnaires=catalog,
        secret_key=SECRET_KEY,
        clock=clock,
        secure_cookies=settings.web.cookies_secure,
        passwords=fast_passwords(),
    )
    async with serving(app, settings) as port:
        async with httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{port}",
            verify=ssl.create_default_context(cafile=str(cert)),
        ) as https:
            page = await https.get("/connexion")
            assert page.status_code == 200
            assert page.headers[HSTS] == "max-age=31536000"
            cookie = page.headers["set-cookie"].lower()
            assert "secure" in cookie
            assert "httponly" in cookie
            assert world.campaign_id
            await log_in(https, "agent1")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as plain:
            with pytest.raises(httpx.HTTPError):  # plain HTTP on the TLS port gets nothing
                await plain.get("/connexion")


@pytest.mark.asyncio
async def test_hsts_behind_a_trusted_proxy_only(app: Starlette) -> None:
    """A TLS-terminating proxy on this machine says ``X-Forwarded-Proto: https``; the same
    header from an address not in ``web.trusted_proxies`` is ignored."""
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    for trusted, expected in ((["127.0.0.1"], True), (["192.0.2.1"], False)):
        settings = Settings(web=WebSettings(port=free_port(), trusted_proxies=trusted))
        async with (
            serving(app, settings) as port,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as proxy,
        ):
            page = await proxy.get("/connexion", headers=forwarded)
            assert page.status_code == 200
            assert (HSTS in page.headers) is expected, trusted


def _settings_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str
) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["settings"], catch_exceptions=True)
    message = result.output + (str(result.exception) if result.exception else "")
    return result.exit_code, message


@pytest.mark.parametrize(
    ("env", "field"),
    [
        (
            {"DIALER_WEB__TLS_CERT_FILE": "/etc/hostname"},
            "web.tls_cert_file et web.tls_key_file : renseignez les deux",
        ),
        (
            {
                "DIALER_WEB__TLS_CERT_FILE": "/nonexistent/cert.pem",
                "DIALER_WEB__TLS_KEY_FILE": "/nonexistent/key.pem",
            },
            "web.tls_cert_file : /nonexistent/cert.pem n'est pas un fichier lisible",
        ),
        ({"DIALER_WEB__HSTS_MAX_AGE_S": "-1"}, "hsts_max_age_s"),
    ],
)
def test_bad_tls_settings_are_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], field: str
) -> None:
    code, message = _settings_command(monkeypatch, tmp_path, **env)
    assert code != 0
    assert field in message


def test_plain_http_to_the_network_is_refused_unless_a_proxy_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    code, message = _settings_command(monkeypatch, tmp_path, DIALER_WEB__HOST="0.0.0.0")  # noqa: S104
    assert code != 0
    assert "web.trusted_proxies" in message
    assert "web.tls_cert_file" in message
    # the proxy on another machine terminates TLS and forwards plain HTTP to this one
    monkeypatch.setenv("DIALER_WEB__TRUSTED_PROXIES", '["10.0.0.2"]')
    assert _settings_command(monkeypatch, tmp_path)[0] == 0
    monkeypatch.delenv("DIALER_WEB__TRUSTED_PROXIES")
    cert, key = certificate
    built_in = {"DIALER_WEB__TLS_CERT_FILE": str(cert), "DIALER_WEB__TLS_KEY_FILE": str(key)}
    assert _settings_command(monkeypatch, tmp_path, **built_in)[0] == 0
