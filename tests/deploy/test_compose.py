"""``docker/compose.yaml`` and ``docker/dialer.Dockerfile``: the points issue 23 found
broken, checked by reading them (no container engine runs on the project's machines); and
the settings the deployment examples name exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no types (no stubs pinned)
from pydantic import BaseModel

from dialer.settings import Settings
from dialer.web.health import ROUTES as PROBES
from tests.deploy.unit_runner import environment_file_values

DOCKER = Path(__file__).resolve().parents[2] / "docker"
SYSTEMD = DOCKER.parent / "deploy" / "systemd"


def compose() -> dict[str, Any]:
    document = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def dialer_service() -> dict[str, Any]:
    service = compose()["services"]["dialer"]
    assert isinstance(service, dict)
    return service


def dockerfile_lines() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (DOCKER / "dialer.Dockerfile").read_text(encoding="utf-8")
    joined = text.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and line[0] != "#"]


def setting_exists(variable: str) -> bool:
    """``DIALER_A__B`` names a field of :class:`Settings` (``a.b``)."""
    model: type[BaseModel] = Settings
    parts = variable.removeprefix("DIALER_").lower().split("__")
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        if depth < len(parts) - 1:
            annotation = field.annotation
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


def test_the_dialer_service_has_a_command_and_runs_as_an_unprivileged_user() -> None:
    service = dialer_service()
    assert service["command"] == ["serve"]
    user = str(service["user"]).split(":")
    assert user[0] not in ("0", "root")
    assert all(part.isdigit() and int(part) >= 1000 for part in user)
    assert 'ENTRYPOINT ["dialer"]' in dockerfile_lines()
    users = [line for line in dockerfile_lines() if line.startswith("USER ")]
    assert users == ["USER dialer"]
    assert "--uid 10001" in next(line for line in dockerfile_lines() if "useradd" in line)
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]


def test_secrets_come_from_files_and_the_database_password_is_passed_through() -> None:
    document = compose()
    service = dialer_service()
    environment = service["environment"]
    assert not any(key.endswith(("SECRET", "SECRET_KEY", "PASSWORD")) for key in environment), (
        "a secret's value in the compose file"
    )
    assert "@" in environment["DIALER_DATABASE_URL"]
    assert ":" not in environment["DIALER_DATABASE_URL"].split("//")[1].split("@")[0]
    files = {
        "DIALER_DATABASE_PASSWORD_FILE": "database_password",
        "DIALER_WEB__SECRET_KEY_FILE": "secret_key",
        "DIALER_AMI__SECRET_FILE": "ami_secret",
    }
    for variable, secret in files.items():
        assert environment[variable] == f"/run/secrets/{secret}"
        assert secret in service["secrets"]
        assert document["secrets"][secret]["file"].startswith("./secrets/")
    postgres = document["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/database_password"
    assert "database_password" in postgres["secrets"]  # the same file for both containers
    assert all(setting_exists(name) for name in environment), "an unknown setting"


def test_health_checks_ask_the_readiness_probe() -> None:
    service = dialer_service()
    check = " ".join(service["healthcheck"]["test"])
    port = service["environment"]["DIALER_WEB__PORT"]
    assert f"http://127.0.0.1:{port}/readyz" in check
    assert "/readyz" in {route.path for route in PROBES}
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in compose()["services"]["postgres"]["healthcheck"]["test"]
    assert service["stop_signal"] == "SIGTERM"


def test_the_image_holds_runtime_packages_only_installed_as_a_package() -> None:
    installs = [line for line in dockerfile_lines() if "pip install" in line]
    assert any("--require-hashes -r /tmp/requirements.lock" in line for line in installs)
    assert any("--no-deps /wheels/*.whl" in line for line in installs)  # the built wheel
    assert "COPY requirements.lock /tmp/requirements.lock" in dockerfile_lines()
    assert not any(" -e " in f"{line} " or "--editable" in line for line in installs)
    assert not any("dev" in line.split("pip install", 1)[1] for line in installs)


def test_the_systemd_examples_name_real_settings() -> None:
    shipped = environment_file_values(SYSTEMD / "dialer.env")
    assert shipped
    assert all(setting_exists(name) for name, _ in shipped), shipped
    unit = (SYSTEMD / "dialer.service").read_text(encoding="utf-8")
    named = re.findall(r"^Environment=(DIALER_\w+)=", unit, re.MULTILINE)
    assert len(named) == 3
    assert all(setting_exists(name) for name in named), named
    assert not setting_exists("DIALER_WEB__PROT")  # the check itself tells a typo


def test_supervisors_wait_longer_than_the_stop_drains_calls() -> None:
    """A stop lets the calls in progress finish for ``dialing.stop_drain_s``: systemd and
    the container engine must not kill the service before (people cut off mid-call)."""
    drain_s = Settings().dialing.stop_drain_s
    unit = (SYSTEMD / "dialer.service").read_text(encoding="utf-8")
    timeout = re.search(r"^TimeoutStopSec=(\d+)$", unit, flags=re.M)
    assert timeout is not None
    assert int(timeout.group(1)) > drain_s
    grace = str(dialer_service()["stop_grace_period"])
    assert grace.endswith("s")
    assert int(grace.removesuffix("s")) > drain_s


def test_the_image_bundles_the_browser_phone_library_from_the_lock_file() -> None:
    lines = dockerfile_lines()
    assert "COPY web/package.json web/package-lock.json ./" in lines
    bundle = next(line for line in lines if line.startswith("RUN npm ci"))
    assert "--outfile=/vendor/jssip.min.js" in bundle  # as `make web-vendor` does
    assert "COPY --from=web-vendor /vendor ./dialer/web/static/vendor" in lines
    assert lines.index("COPY --from=web-vendor /vendor ./dialer/web/static/vendor") < next(
        index for index, line in enumerate(lines) if line.startswith("RUN pip wheel")
    )
