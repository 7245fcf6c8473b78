"""Prometheus metrics at ``/metrics``: the live dashboard's figures (the same snapshot as
the page), prefixed ``dialer_``, labelled ``campaign`` (id) and ``cycle`` (number) and,
where it applies, ``state``, ``window``, ``stage``... Counts are ``_total`` counters
(``rate()`` and ``increase()`` apply), durations and rates in base units (seconds, per
second), ratios between 0 and 1. Every campaign running or paused has its own series (its
``campaign`` label): its rates, cycle, funnel, handling time, pace and forecast; the agents,
the calls in progress and the engine's counters are the engine's, labelled with the
current campaign. Beside the snapshots: ``dialer_ami_up{node}``, the HTTP
requests (:mod:`dialer.web.http_metrics`) and the database errors
(:mod:`dialer.storage.driver_errors`). ``docs/monitoring/`` has example alert rules and a
Grafana dashboard built on them.

Access. ``/metrics`` carries no personal data but tells how the operation goes, so it is
not public: when a bearer token is configured (``app.state.metrics_token``, set with
:func:`configure_metrics`, e.g. from a ``web.metrics_token`` setting) the scraper must send
``Authorization: Bearer <token>``; without a token only loopback clients may read it (a
Prometheus on the same host, or one reaching it through a local reverse proxy whose
``X-Forwarded-For`` uvicorn trusts: then the real client's address is checked). No
session is needed: scrapers do not log in.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from dialer.dashboard.live import RateFigures, Snapshot
from dialer.storage.driver_errors import driver_errors
from dialer.web.access import GuardedRoute, Open
from dialer.web.dashboard import dashboard_of
from dialer.web.http_metrics import RequestFigures

#: the engine's counters exported as ``dialer_engine_calls_total{event=...}``
ENGINE_EVENTS = ("dialled", "answered", "joined", "abandoned", "machines", "dial_refused")
HOUR_S = 3600.0


def configure_metrics(app: Starlette, token: str | None) -> None:
    """Require ``Authorization: Bearer <token>`` on ``/metrics`` (None: loopback only)."""
    app.state.metrics_token = token or None


class SnapshotCollector(Collector):
    """One snapshot (and the engine's and dashboard's statistics) as metric families."""

    def __init__(
        self,
        snapshot: Snapshot,
        engine: dict[str, object] | None = None,
        dashboard: dict[str, object] | None = None,
        *,
        others: Sequence[Snapshot] = (),
    ) -> None:
        self.snapshot = snapshot
        #: the snapshots of the other campaigns running or paused (their own figures)
        self.others = list(others)
        self.engine = engine or {}
        self.dashboard = dashboard or {}
        self.labels = _labels(snapshot)

    def _gauge(
        self, name: str, doc: str, value: float | None, labels: list[str] | None = None
    ) -> Metric:
        family = GaugeMetricFamily(name, doc, labels=["campaign", "cycle"])
        if value is not None:
            family.add_metric(self.labels if labels is None else labels, float(value))
        return family

    def _gauges(
        self,
        name: str,
        doc: str,
        label: str,
        values: Iterable[tuple[str, float | None]],
        labels: list[str] | None = None,
    ) -> Metric:
        family = GaugeMetricFamily(name, doc, labels=["campaign", "cycle", label])
        for key, value in values:
            if value is not None:
                family.add_metric([*(self.labels if labels is None else labels), key], float(value))
        return family

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        live = snap.live
        yield self._gauges(
            "dialer_agents", "Agents by state.", "state", sorted(live.agents.items())
        )
        yield self._gauges(
            "dialer_calls",
            "Calls in progress by state.",
            "state",
            [
                ("dialing", live.calls_dialing),
                ("ringing", live.calls_ringing),
                ("waiting_agent", live.calls_waiting_agent),
                ("connected", live.calls_connected),
            ],
        )
        yield self._gauge(
            "dialer_lines_per_free_agent",
            "Calls not yet with an agent per ready agent.",
            live.lines_per_free_agent,
        )
        info = GaugeMetricFamily(
            "dialer_campaign_info",
            "The current campaign (running or paused) and its open cycle.",
            labels=["campaign", "cycle", "state", "name"],
        )
        for each in (snap, *self.others):
            if each.campaign is not None:
                info.add_metric([*_labels(each), each.campaign.state, each.campaign.name], 1.0)
        yield info
        running = GaugeMetricFamily(
            "dialer_campaigns_live",
            "Every campaign running or paused (the dashboard's list), each with its figures.",
            labels=["campaign", "state", "name"],
        )
        for listed in snap.campaigns:
            running.add_metric([str(listed.id), listed.state, listed.name], 1.0)
        yield running
        yield from _merged(
            [*self._rates(each), *self._cycle(each)] for each in (snap, *self.others)
        )
        counters = CounterMetricFamily(
            "dialer_engine_calls",
            "The engine's call events since it started.",
            labels=["campaign", "cycle", "event"],
        )
        for event in ENGINE_EVENTS:
            value = self.engine.get(event)
            if isinstance(value, int | float):
                counters.add_metric([*self.labels, event], float(value))
        yield counters
        yield from self._ledger()
        yield _ami_up(self.engine.get("nodes"))
        watchers = self.dashboard.get("watchers")
        read_ms = self.dashboard.get("ledger_read_ms_p50")
        yield GaugeMetricFamily(
            "dialer_dashboard_watchers",
            "Dashboard pages open.",
            value=float(watchers) if isinstance(watchers, int | float) else 0.0,
        )
        if isinstance(read_ms, int | float):
            yield GaugeMetricFamily(
                "dialer_dashboard_ledger_read_seconds",
                "Median time to read the dashboard's ledger figures.",
                value=read_ms / 1000,
            )

    def _ledger(self) -> Iterator[Metric]:
        """How the engine's ledger writes keep up (:mod:`dialer.storage.ledger_writer`)."""
        figures = {
            key: float(value)
            for key, value in self.engine.items()
            if key.startswith("ledger_") and isinstance(value, int | float | bool)
        }
        if "ledger_writable" not in figures:
            return
        for name, key, doc in (
            ("dialer_ledger_writable", "ledger_writable", "1 while the ledger's writes land."),
            ("dialer_ledger_lag_seconds", "ledger_lag_s", "Wait of the oldest unwritten write."),
            ("dialer_ledger_waiting_writes", "ledger_waiting", "Writes not yet committed."),
        ):
            if key in figures:
                yield GaugeMetricFamily(name, doc, value=figures[key])
        for name, key, doc in (
            ("dialer_ledger_writes", "ledger_writes", "Ledger writes handled."),
            ("dialer_ledger_write_failures", "ledger_failed_tries", "Failed write transactions."),
        ):
            if key in figures:
                yield CounterMetricFamily(name, doc, value=figures[key])

    def _rates(self, snap: Snapshot) -> Iterator[Metric]:
        labels = _labels(snap)
        today = snap.today
        for name, doc, attribute in (
            ("dialer_dials_settled", "Dials ended today.", "settled"),
            ("dialer_live_answers", "Dials a person answered today.", "live_answers"),
            ("dialer_abandons", "Answered people no agent took today.", "abandons"),
        ):
            family = CounterMetricFamily(
                name,
                doc + " Counted since local midnight (the reset at midnight is one for rate()).",
                labels=["campaign", "cycle"],
            )
            if today is not None:
                family.add_metric(labels, float(getattr(today, attribute)))
            yield family
        windows: list[tuple[str, RateFigures]] = []
        if snap.recent is not None:
            windows.append(("15m", snap.recent))
        if today is not None:
            windows.append(("day", today))
        for name, doc, attribute in (
            ("dialer_answer_ratio", "Live answers / settled dials over the window.", "answer_rate"),
            ("dialer_abandon_ratio", "Abandons / live answers over the window.", "abandon_rate"),
        ):
            yield self._gauges(
                name,
                doc,
                "window",
                [(w, getattr(rates, attribute)) for w, rates in windows],
                labels,
            )

    def _cycle(self, snap: Snapshot) -> Iterator[Metric]:
        labels = _labels(snap)
        handling = snap.handling
        yield self._gauges(
            "dialer_handling_time_seconds",
            "Mean handling time (DMT = talk + wrap-up) of the cycle's handled calls.",
            "part",
            [
                ("total", handling.mean_handling_s if handling else None),
                ("talk", handling.mean_talk_s if handling else None),
                ("wrap_up", handling.mean_wrap_up_s if handling else None),
            ],
            labels,
        )
        yield self._gauge(
            "dialer_handled_calls",
            "Calls of the cycle joined to an agent and wrapped up.",
            handling.handled if handling else None,
            labels,
        )
        funnel = snap.funnel
        yield self._gauges(
            "dialer_cycle_funnel",
            "The cycle's funnel: people (alerts for the alert stages).",
            "stage",
            [
                (stage, getattr(funnel, stage) if funnel else None)
                for stage in (
                    "register",
                    "attempted",
                    "reached",
                    "complete",
                    "alerts_raised",
                    "alerts_acknowledged",
                )
            ],
            labels,
        )
        useful = snap.useful
        yield self._gauge(
            "dialer_useful_contact_ratio",
            "Share of the register with a complete questionnaire.",
            useful.share if useful else None,
            labels,
        )
        yield self._gauges(
            "dialer_useful_contact_target_ratio",
            "The useful-contact target (65-70 %).",
            "bound",
            [
                ("floor", useful.target_floor if useful else None),
                ("ceiling", useful.target_ceiling if useful else None),
            ],
            labels,
        )
        pace = snap.pace
        yield self._gauge(
            "dialer_pace_attempts_per_second",
            "Attempts placed per second of calling time, recent window.",
            pace.attempts_per_hour / HOUR_S if pace else None,
            labels,
        )
        yield self._gauge(
            "dialer_pace_useful_contacts_per_second",
            "Useful contacts per second of calling time, recent window.",
            pace.contacts_per_hour / HOUR_S if pace else None,
            labels,
        )
        deadline = snap.campaign.deadline if snap.campaign else None
        yield self._gauge(
            "dialer_cycle_deadline_timestamp_seconds",
            "The cycle's deadline (Unix time).",
            deadline.timestamp() if deadline else None,
            labels,
        )
        forecast = snap.forecast
        exhausted = forecast.exhausted_at if forecast else None
        yield self._gauge(
            "dialer_forecast_exhaustion_timestamp_seconds",
            "When the cycle's attempts run out at the current pace (Unix time).",
            exhausted.timestamp() if exhausted else None,
            labels,
        )
        yield self._gauge(
            "dialer_forecast_useful_contact_ratio",
            "Share of the register forecast to give a useful contact by the deadline.",
            forecast.projected_share if forecast else None,
            labels,
        )
        yield self._gauge(
            "dialer_forecast_more_agents_needed",
            "Agents to add to reach the 65 % target by the deadline.",
            forecast.more_agents_needed if forecast else None,
            labels,
        )
        yield self._gauge(
            "dialer_calling_time_left_seconds",
            "Calling-window time left before the cycle's deadline.",
            forecast.calling_time_left.total_seconds() if forecast else None,
            labels,
        )


def _labels(snapshot: Snapshot) -> list[str]:
    """``campaign`` and ``cycle`` of a snapshot's figures."""
    campaign = snapshot.campaign
    return [
        str(campaign.id) if campaign else "",
        str(campaign.cycle_number) if campaign and campaign.cycle_number else "",
    ]


def _merged(per_campaign: Iterable[list[Metric]]) -> Iterator[Metric]:
    """One family per name, with the samples of every campaign's family of that name."""
    families: dict[str, Metric] = {}
    for metrics in per_campaign:
        for metric in metrics:
            kept = families.setdefault(metric.name, metric)
            if kept is not metric:
                kept.samples.extend(metric.samples)
    yield from families.values()


def _ami_up(nodes: object) -> Metric:
    """1 per telephony node whose AMI session is up, 0 when it is down."""
    family = GaugeMetricFamily(
        "dialer_ami_up", "Whether the node's AMI session is up (1) or not (0).", labels=["node"]
    )
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and isinstance(node.get("connected"), bool):
            family.add_metric([str(node.get("node", ""))], 1.0 if node["connected"] else 0.0)
    return family


class ServiceCollector(Collector):
    """The process's own figures: database errors by kind."""

    def collect(self) -> Iterator[Metric]:
        errors = CounterMetricFamily(
            "dialer_database_errors",
            "Errors the database raised since the service started, by SQLAlchemy error class.",
            labels=["kind"],
        )
        for kind, count in sorted(driver_errors().items()):
            errors.add_metric([kind], float(count))
        yield errors


def _allowed(request: Request) -> bool | None:
    """True: allowed; False: wrong or missing token; None: not a loopback client."""
    token: str | None = getattr(request.app.state, "metrics_token", None)
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    client = request.client
    try:
        loopback = client is not None and ipaddress.ip_address(client.host).is_loopback
    except ValueError:
        loopback = False
    return True if loopback else None


async def metrics(request: Request) -> Response:
    allowed = _allowed(request)
    if allowed is False:
        return PlainTextResponse(
            "jeton d'accès aux métriques manquant ou invalide\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    if allowed is None:
        return PlainTextResponse("métriques réservées aux clients locaux\n", status_code=403)
    board = dashboard_of(request)
    snapshot = await board.snapshot()
    current = snapshot.campaign.id if snapshot.campaign is not None else None
    others = [await board.snapshot(c.id) for c in snapshot.campaigns if c.id != current]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        SnapshotCollector(snapshot, board.engine_statistics(), board.statistics(), others=others)
    )
    registry.register(ServiceCollector())
    figures: RequestFigures | None = getattr(request.app.state, "http_figures", None)
    if figures is not None:
        registry.register(figures.requests)
        registry.register(figures.duration)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


ROUTES = [GuardedRoute("/metrics", metrics, rule=Open.OWN_CHECK, methods=["GET"])]
