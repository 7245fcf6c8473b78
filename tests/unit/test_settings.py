from __future__ import annotations

from pathlib import Path

import pytest

from dialer.errors import ConfigurationError
from dialer.service import ami_credentials
from dialer.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("DIALER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_hold_no_secret() -> None:
    settings = load_settings()
    assert settings.ami.secret is None
    assert settings.ami.host == "127.0.0.1"
    assert settings.database_url.startswith("sqlite+aiosqlite:")


def test_environment_wins_over_file_which_wins_over_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "dialer.toml"
    config.write_text('[ami]\nport = 6000\nusername = "from-file"\n', encoding="utf-8")
    monkeypatch.setenv("DIALER_AMI__USERNAME", "from-env")
    settings = load_settings()
    assert settings.ami.username == "from-env"  # environment
    assert settings.ami.port == 6000  # file
    assert settings.ami.action_timeout_s == 5.0  # default


def test_dialer_config_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('[trunk]\nhost = "192.0.2.10"\n', encoding="utf-8")
    monkeypatch.setenv("DIALER_CONFIG", str(config))
    assert load_settings().trunk.host == "192.0.2.10"


def test_a_missing_named_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_CONFIG", "/nonexistent/dialer.toml")
    with pytest.raises(ConfigurationError, match=r"/nonexistent/dialer\.toml"):
        load_settings()


def test_a_bad_value_names_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_AMI__PORT", "not-a-port")
    with pytest.raises(ConfigurationError, match=r"ami\.port"):
        load_settings()


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_AMI__SECRET", "s3cr3t-value")
    settings = load_settings()
    assert settings.ami.secret is not None
    assert settings.ami.secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in settings.model_dump_json()


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dialer.toml").write_text("databse_url = 'typo'\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="databse_url"):
        load_settings()


def test_settings_is_one_object() -> None:
    assert isinstance(load_settings(), Settings)


def test_the_ami_secret_may_come_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "ami-secret"
    secret_file.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("DIALER_AMI__SECRET_FILE", str(secret_file))
    assert ami_credentials(load_settings()).secret == "from-the-file"
    monkeypatch.setenv("DIALER_AMI__SECRET", "set-itself")
    assert ami_credentials(load_settings()).secret == "set-itself"  # the secret wins


def test_the_web_secret_key_may_come_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "secret-key"
    key_file.write_text("k" * 40 + "\n", encoding="utf-8")
    monkeypatch.setenv("DIALER_WEB__SECRET_KEY_FILE", str(key_file))
    assert load_settings().web.configured_secret_key() == "k" * 40
    monkeypatch.setenv("DIALER_WEB__SECRET_KEY", "set-itself")
    assert load_settings().web.configured_secret_key() == "set-itself"  # the key wins
    monkeypatch.delenv("DIALER_WEB__SECRET_KEY")
    key_file.write_text("", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"web\.secret_key_file : .* est vide"):
        load_settings().web.configured_secret_key()


def test_without_an_ami_secret_the_service_says_what_to_set(tmp_path: Path) -> None:
    settings = load_settings()
    with pytest.raises(ConfigurationError, match="DIALER_AMI__SECRET_FILE"):
        ami_credentials(settings)
    (tmp_path / "empty").write_text("", encoding="utf-8")
    for unusable in (tmp_path / "empty", tmp_path / "absent"):
        with_file = settings.model_copy(
            update={"ami": settings.ami.model_copy(update={"secret_file": unusable})}
        )
        with pytest.raises(ConfigurationError, match=r"ami\.secret_file"):
            ami_credentials(with_file)


@pytest.mark.parametrize("value", ["Mairie\r\nAction: Originate", "Mairie\nX: y", "a\x07b"])
def test_a_caller_id_with_a_line_break_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DIALER_DIALING__CALLER_ID", value)
    with pytest.raises(ConfigurationError, match=r"dialing\.caller_id : retours à la ligne"):
        load_settings()


def test_a_one_line_caller_id_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_DIALING__CALLER_ID", '"Mairie" <0140000000>')
    assert load_settings().dialing.caller_id == '"Mairie" <0140000000>'
