"""``/metrics`` for Prometheus, through the HTTP application, on SQLite and PostgreSQL:
counters a ``rate()`` can use, base units, the AMI session of each node, the HTTP
requests, the database errors; and the example alert rules and Grafana dashboard in
``docs/monitoring/`` use only metrics the service exports."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from ruamel.yaml import YAML
from sqlalchemy import text

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import SessionFactory, create_engine, create_session_factory, migrate_engine
from dialer.storage.database import transaction
from tests.storage.conftest import postgres_url, reset_postgres, sqlite_url
from tests.web.steering_support import SteerRig, steer
from tests.web.support import PASSWORD, fast_passwords

pytestmark = pytest.mark.asyncio

MONITORING = Path(__file__).resolve().parents[2] / "docs" / "monitoring"
METRIC_NAME = re.compile(r"\bdialer_[a-z0-9_]+")

__all__ = ["steer"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_url(tmp_path) if request.param == "sqlite" else postgres_url()


@pytest_asyncio.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    engine = create_engine(database_url)
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


async def scrape(http: httpx.AsyncClient) -> dict[str, list[Sample]]:
    """Every sample of ``/metrics`` by sample name (``..._total``, ``..._bucket``...)."""
    response = await http.get("/metrics")  # ASGITransport's client is 127.0.0.1
    assert response.status_code == 200
    samples: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list[Sample]], name: str, **labels: str) -> float:
    found = [s.value for s in samples.get(name, []) if labels.items() <= s.labels.items()]
    assert len(found) == 1, (name, labels, samples.get(name))
    return found[0]


async def test_counts_are_counters_and_rates_in_base_units(steer: SteerRig) -> None:
    response = await steer.http.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    for counter in ("dialer_dials_settled", "dialer_live_answers", "dialer_abandons"):
        assert families[counter].type == "counter"
        assert all(s.name == counter + "_total" for s in families[counter].samples)
        assert all("window" not in s.labels for s in families[counter].samples)
    assert families["dialer_engine_calls"].type == "counter"
    assert families["dialer_abandon_ratio"].type == "gauge"
    assert not [name for name in families if "per_hour" in name or name.endswith("_rate")]
    assert "dialer_pace_attempts_per_second" in families


async def test_ami_up_follows_each_node(steer: SteerRig) -> None:
    assert value(await scrape(steer.http), "dialer_ami_up", node=steer.node.name) == 1
    steer.node.connected = False
    assert value(await scrape(steer.http), "dialer_ami_up", node=steer.node.name) == 0


async def test_http_requests_are_counted_by_route_template_and_timed(steer: SteerRig) -> None:
    auth = steer.auth("superviseur")
    for campaign in (123456, 654321):
        assert (await steer.http.get(f"/api/v1/campaigns/{campaign}", headers=auth)).status_code
    assert (await steer.http.get("/api/v1/campaigns", headers=auth)).status_code == 200
    assert (await steer.http.get("/nulle-part")).status_code == 404
    samples = await scrape(steer.http)
    one = "/api/v1/campaigns/{campaign_id}"
    assert value(samples, "dialer_http_requests_total", route=one, status="404") == 2
    assert value(samples, "dialer_http_requests_total", route="/api/v1/campaigns") == 1
    assert value(samples, "dialer_http_requests_total", route="", status="404") == 1
    assert value(samples, "dialer_http_request_duration_seconds_count", route=one) == 2
    assert value(samples, "dialer_http_request_duration_seconds_bucket", route=one, le="+Inf") == 2
    # no concrete id ever becomes a label
    labels = {s.labels["route"] for s in samples["dialer_http_requests_total"]}
    assert not any("123456" in route for route in labels)


async def test_a_database_error_is_counted(steer: SteerRig) -> None:
    before = await scrape(steer.http)
    kind = "OperationalError"
    if steer.sessions.kw["bind"].dialect.name == "postgresql":
        kind = "ProgrammingError"  # asyncpg: undefined table
    was = sum(s.value for s in before.get("dialer_database_errors_total", []))
    async with transaction(steer.sessions) as session:
        await session.execute(text("ALTER TABLE teams RENAME TO teams_gone"))
    failed = await steer.http.get("/api/v1/teams", headers=steer.auth("admin"))
    assert failed.status_code == 503
    assert failed.json()["erreur"].startswith("La base de données ne répond pas")
    after = await scrape(steer.http)
    assert sum(s.value for s in after["dialer_database_errors_total"]) == was + 1
    assert value(after, "dialer_database_errors_total", kind=kind) >= 1


async def test_the_alert_rules_and_dashboard_use_only_exported_metrics(steer: SteerRig) -> None:
    await create_account(
        steer.sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    await steer.http.get("/api/v1/campaigns", headers=steer.auth("superviseur"))
    rules = YAML(typ="safe").load((MONITORING / "alerts.yaml").read_text(encoding="utf-8"))
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert len(expressions) >= 6
    assert all(rule["annotations"]["summary"] for g in rules["groups"] for rule in g["rules"])
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8"))
    panels = dashboard["panels"]
    assert len(panels) >= 8
    expressions += [target["expr"] for panel in panels for target in panel["targets"]]
    used = {name for expr in expressions for name in METRIC_NAME.findall(expr)}
    # every family is declared (# TYPE), with or without samples yet (no campaign running,
    # no database error so far)
    response = (await steer.http.get("/metrics")).text
    exported = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\w+)$", response, re.M):
        suffixes = {"histogram": ("_bucket", "_sum", "_count")}.get(kind, ("",))
        exported |= {name + suffix for suffix in suffixes}
        assert kind != "counter" or name.endswith("_total")
    assert used, "no metric found in the expressions"
    assert used - exported == set()
    for needed in ("dialer_ami_up", "dialer_http_requests_total", "dialer_database_errors_total"):
        assert needed in used
