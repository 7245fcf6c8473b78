from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from dialer.errors import ConfigurationError
from dialer.settings import Settings, TrunkSettings
from dialer.telephony.asterisk_config import CONFIG_FILES, SipAccount, render, write
from dialer.telephony.translate import AMI_EVENTS

AGENTS = [
    SipAccount("agent-1001", "pw-one-0123456789abcdef", "Agent 1001"),
    SipAccount("agent-1002", "pw-two-0123456789abcdef", "Agent 1002"),
]


def test_renders_every_file() -> None:
    rendered = render(Settings(), ami_secret="ami-secret-xyz", agents=AGENTS)
    assert set(rendered) == set(CONFIG_FILES)
    assert all(text.strip() for text in rendered.values())


def test_manager_conf_binds_loopback_with_the_settings_secret() -> None:
    manager = render(Settings(), ami_secret="ami-secret-xyz", agents=[])["manager.conf"]
    assert "bindaddr = 127.0.0.1" in manager
    assert "[dialer]" in manager
    assert "secret = ami-secret-xyz" in manager
    assert "permit = 127.0.0.1/255.255.255.255" in manager
    assert "timestampevents = yes" in manager


def test_no_secret_no_manager_conf() -> None:
    with pytest.raises(ConfigurationError, match=r"ami\.secret"):
        render(Settings(), ami_secret="", agents=[])


def test_pjsip_has_the_trunk_and_one_endpoint_per_agent() -> None:
    pjsip = render(Settings(), ami_secret="s", agents=AGENTS)["pjsip.conf"]
    assert "contact = sip:127.0.0.1:5070" in pjsip
    for agent in AGENTS:
        assert f"[{agent.username}]\ntype = endpoint" in pjsip
        assert f"[{agent.username}-auth]" in pjsip
        assert f"password = {agent.password}" in pjsip
    assert pjsip.count("type = endpoint") == 1 + len(AGENTS)


def test_a_production_trunk_with_credentials() -> None:
    settings = Settings(
        trunk=TrunkSettings(
            host="sip.carrier.example",
            port=5060,
            username="city",
            password=SecretStr("trunk-pw"),
            from_domain="city.example",
        )
    )
    pjsip = render(settings, ami_secret="s", agents=[])["pjsip.conf"]
    assert "outbound_auth = carrier-auth" in pjsip
    assert "password = trunk-pw" in pjsip
    assert "from_domain = city.example" in pjsip
    assert "contact = sip:sip.carrier.example:5060" in pjsip


def test_a_trunk_user_without_password_is_refused() -> None:
    settings = Settings(trunk=TrunkSettings(username="city"))
    with pytest.raises(ConfigurationError, match=r"trunk\.password"):
        render(settings, ami_secret="s", agents=[])


def test_account_repr_hides_the_password() -> None:
    assert "pw-one" not in repr(AGENTS[0])


def test_written_files_are_not_world_readable(tmp_path: Path) -> None:
    paths = write(render(Settings(), ami_secret="s", agents=AGENTS), tmp_path / "etc")
    assert {p.name for p in paths} == set(CONFIG_FILES)
    assert all(p.stat().st_mode & 0o007 == 0 for p in paths)


def test_files_are_created_private_even_with_a_permissive_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never readable by others, not even between creation and a later chmod."""
    created: list[tuple[str, int, int]] = []
    real_open = os.open

    def spying_open(path: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        descriptor = real_open(path, flags, mode)
        if flags & os.O_CREAT:
            created.append((os.fspath(path), mode, os.fstat(descriptor).st_mode & 0o777))
        return descriptor

    monkeypatch.setattr(os, "open", spying_open)
    target = tmp_path / "etc"
    target.mkdir()
    (target / "manager.conf").write_text("secret = old\n")
    (target / "manager.conf").chmod(0o644)  # left world-readable by an older version
    previous = os.umask(0)
    try:
        paths = write(render(Settings(), ami_secret="s", agents=AGENTS), target)
    finally:
        os.umask(previous)
    assert len(created) == len(CONFIG_FILES)
    assert all(mode == 0o640 and at_creation == 0o640 for _, mode, at_creation in created)
    assert all(p.stat().st_mode & 0o777 == 0o640 for p in paths)
    assert not list(target.glob(".*.tmp"))


def test_agents_from_the_database_authenticate_by_md5_digest() -> None:
    agent = SipAccount("agent-2001", md5_cred="0123456789abcdef0123456789abcdef")
    pjsip = render(Settings(), ami_secret="s", agents=[agent])["pjsip.conf"]
    assert "auth_type = md5" in pjsip
    assert "md5_cred = 0123456789abcdef0123456789abcdef" in pjsip


def test_remote_agents_use_tls_and_srtp() -> None:
    settings = Settings(sip={"tls_cert_file": "/etc/asterisk/keys/a.crt", "tls_key_file": "/k"})  # type: ignore[arg-type]
    remote = SipAccount("agent-3001", md5_cred="f" * 32, remote=True)
    pjsip = render(settings, ami_secret="s", agents=[remote])["pjsip.conf"]
    endpoint = pjsip.split("[agent-3001]\ntype = endpoint", 1)[1].split("\n\n", 1)[0]
    assert "transport = transport-tls" in endpoint
    assert "media_encryption = sdes" in endpoint
    assert "ice_support = yes" in endpoint
    assert "protocol = tls" in pjsip


def test_remote_agents_without_a_certificate_are_refused() -> None:
    remote = SipAccount("agent-3001", md5_cred="f" * 32, remote=True)
    with pytest.raises(ConfigurationError, match=r"tls_cert_file"):
        render(Settings(), ami_secret="s", agents=[remote])


def test_an_account_without_credentials_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="agent-9"):
        SipAccount("agent-9")


def test_manager_conf_lets_through_only_the_events_the_controller_reads() -> None:
    manager = render(Settings(), ami_secret="ami-secret-xyz", agents=[])["manager.conf"]
    filters = [line for line in manager.splitlines() if line.startswith("eventfilter")]
    assert filters == [f"eventfilter(action(include),name({name})) =" for name in AMI_EVENTS]
    read = next(line for line in manager.splitlines() if line.startswith("read ="))
    assert "dialplan" not in read
    assert "reporting" not in read  # RTCP reports: several a second per call


def test_browser_agents_get_a_webrtc_endpoint_over_the_websocket_transport() -> None:
    browser = SipAccount("agent-4001", md5_cred="e" * 32, browser=True)
    rendered = render(Settings(), ami_secret="s", agents=[*AGENTS, browser])
    pjsip = rendered["pjsip.conf"]
    assert "[transport-ws]\ntype = transport\nprotocol = ws\n" in pjsip
    endpoint = pjsip.split("[agent-4001]\ntype = endpoint\n", 1)[1].split("\n\n", 1)[0]
    for line in (
        "webrtc = yes",  # DTLS-SRTP, ICE, AVPF, rtcp-mux
        "dtls_auto_generate_cert = yes",
        "context = dialer-webphone",
        "allow = opus,ulaw",
        "auth = agent-4001-auth",
        "rtp_timeout = 4",  # a page that dies leaves no leg behind
    ):
        assert line in endpoint.splitlines(), (line, endpoint)
    assert "transport = " not in endpoint  # the WebSocket the page connected over
    # the softphone agents keep their own endpoint, untouched
    softphone = pjsip.split("[agent-1001]\ntype = endpoint\n", 1)[1].split("\n\n", 1)[0]
    assert "webrtc" not in softphone
    assert "context = from-agents" in softphone
    http = rendered["http.conf"]
    assert "enabled = yes" in http
    assert "bindaddr = 127.0.0.1" in http
    assert "bindport = 8088" in http
    assert "tlsenable" not in http
    extensions = rendered["extensions.conf"]
    echo = extensions.split("[dialer-webphone]\n", 1)[1].split("\n\n", 1)[0]
    assert "exten => echo,1,Answer()" in echo
    assert " same => n,Echo()" in echo


def test_without_browser_agents_there_is_no_websocket_transport() -> None:
    pjsip = render(Settings(), ami_secret="s", agents=AGENTS)["pjsip.conf"]
    assert "transport-ws" not in pjsip
    assert "webrtc" not in pjsip


def test_asterisk_serves_wss_itself_with_the_certificate_when_asked(tmp_path: Path) -> None:
    settings = Settings(
        sip={  # type: ignore[arg-type]
            "tls_cert_file": "/etc/asterisk/keys/asterisk.pem",
            "tls_key_file": "/etc/asterisk/keys/asterisk.key",
            "https_port": 8089,
            "webrtc_url": "wss://sip.ville.example:8089/ws",
        }
    )
    browser = SipAccount("agent-4001", md5_cred="e" * 32, browser=True)
    rendered = render(settings, ami_secret="s", agents=[browser])
    assert "tlsenable = yes" in rendered["http.conf"]
    assert "tlsbindaddr = 0.0.0.0:8089" in rendered["http.conf"]
    assert "tlscertfile = /etc/asterisk/keys/asterisk.pem" in rendered["http.conf"]
    assert "[transport-wss]\ntype = transport\nprotocol = wss\n" in rendered["pjsip.conf"]


def test_a_webrtc_url_that_is_no_websocket_is_refused() -> None:
    with pytest.raises(ValueError, match=r"sip\.webrtc_url.*https://sip\.example"):
        Settings(sip={"webrtc_url": "https://sip.example/ws"})  # type: ignore[arg-type]
