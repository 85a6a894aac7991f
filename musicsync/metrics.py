"""The project's own Prometheus metrics, and the protected /metrics endpoint.

The sync engine and the platform clients call the small functions below; nothing else
touches prometheus_client. Counters live in the process that moves them (a worker for
runs and platform calls), so Prometheus scrapes the web's /metrics *and* each worker's
exporter (see docs/operations.md). Gauges that the database can answer cheaply (review
queue, quota left, active runs, queue depth) are computed at scrape time by one collector.

Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by
them (cleared at start); prometheus_client then keeps values in files there and /metrics
merges them. Without it each process reports its own values.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Runs take from seconds (nothing new) to an hour (a long first sync on a small quota).
_RUN_SECONDS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
# From enqueue to a worker picking it up: sub-second normally, hours when waiting for quota.
_LATENCY_SECONDS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600)
# Upper bounds of the confidence buckets, matching the matcher's thresholds in spirit:
# below 0.5 is "no match", 0.85 and up is usually accepted without review.
_CONFIDENCE_EDGES = ((0.5, "0.00-0.50"), (0.7, "0.50-0.70"), (0.85, "0.70-0.85"),
                     (0.95, "0.85-0.95"), (1.0001, "0.95-1.00"))  # fmt: skip

RUNS_STARTED = Counter("musicsync_runs_started_total", "Runs a worker started, by mode.", ["mode"])
RUNS_FINISHED = Counter(
    "musicsync_runs_finished_total", "Runs that finished, by final status and mode.",
    ["status", "mode"],
)  # fmt: skip
RUN_DURATION = Histogram(
    "musicsync_run_duration_seconds", "Wall time from start to finish of a run.",
    ["mode", "status"], buckets=_RUN_SECONDS,
)  # fmt: skip
RUN_QUEUE_LATENCY = Histogram(
    "musicsync_run_queue_latency_seconds", "Time a run waited between queued and started.",
    ["mode"], buckets=_LATENCY_SECONDS,
)  # fmt: skip
ITEMS_SYNCED = Counter(
    "musicsync_items_synced_total", "Items a run changed or kept, by action.", ["action"]
)
MATCHES = Counter(
    "musicsync_matches_total", "Matching decisions, by outcome and confidence bucket.",
    ["outcome", "confidence"],
)  # fmt: skip
PLATFORM_CALLS = Counter(
    "musicsync_platform_calls_total", "Calls to Spotify and YouTube, by endpoint and status.",
    ["platform", "endpoint", "status"],
)  # fmt: skip
QUOTA_SPENT = Counter(
    "musicsync_youtube_quota_spent_units_total", "YouTube quota units spent by this process."
)

MATCH_OUTCOMES = frozenset({"accepted", "review", "unmatched", "never", "pinned", "cache"})


def run_started(*, mode: str, queued_for_s: float | None) -> None:
    """A worker took a run; ``queued_for_s`` is how long it waited (the job latency)."""
    RUNS_STARTED.labels(mode=mode).inc()
    if queued_for_s is not None:
        RUN_QUEUE_LATENCY.labels(mode=mode).observe(max(0.0, queued_for_s))


def run_finished(*, mode: str, status: str, duration_s: float | None) -> None:
    RUNS_FINISHED.labels(status=status, mode=mode).inc()
    if duration_s is not None:
        RUN_DURATION.labels(mode=mode, status=status).observe(max(0.0, duration_s))


def items_synced(*, action: str, count: int) -> None:
    if count > 0:
        ITEMS_SYNCED.labels(action=action).inc(count)


def confidence_bucket(confidence: float | None) -> str:
    if confidence is None:
        return "none"
    for edge, label in _CONFIDENCE_EDGES:
        if confidence < edge:
            return label
    return "0.95-1.00"


def match_decided(*, outcome: str, confidence: float | None) -> None:
    # An unknown outcome is a caller's bug; keep the label set bounded rather than fail a run.
    if outcome not in MATCH_OUTCOMES:
        logger.warning("unknown match outcome %r counted as 'other'", outcome)
        outcome = "other"
    MATCHES.labels(outcome=outcome, confidence=confidence_bucket(confidence)).inc()


def platform_call(*, platform: str, endpoint: str, status: int | str) -> None:
    PLATFORM_CALLS.labels(platform=platform, endpoint=endpoint, status=str(status)).inc()


def quota_spent(*, units: int) -> None:
    if units > 0:
        QUOTA_SPENT.inc(units)


# --- Gauges computed at scrape time -------------------------------------------------


def queue_depths() -> list[tuple[str, str, int]]:
    """(queue, state, messages) for every declared Dramatiq queue; state is ready/delayed/dead.

    Redis: the lengths of the broker's keys (one round trip); stub broker: its in-memory queues.
    """
    import dramatiq
    from dramatiq.common import dq_name, xq_name

    broker = dramatiq.get_broker()
    names = sorted(q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ")))
    client = getattr(broker, "client", None)
    if client is not None:
        namespace = broker.namespace
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.llen(f"{namespace}:{name}")
            pipe.llen(f"{namespace}:{dq_name(name)}")
            pipe.zcard(f"{namespace}:{xq_name(name)}")
        counts = pipe.execute()
        rows = []
        for i, name in enumerate(names):
            ready, delayed, dead = counts[3 * i : 3 * i + 3]
            rows += [(name, "ready", ready), (name, "delayed", delayed), (name, "dead", dead)]
        return rows
    queues = getattr(broker, "queues", {})
    rows = []
    for name in names:
        rows.append((name, "ready", queues[name].qsize() if name in queues else 0))
        delayed = queues.get(dq_name(name))
        rows.append((name, "delayed", delayed.qsize() if delayed is not None else 0))
        rows.append((name, "dead", len(getattr(broker, "dead_letters_by_queue", {}).get(name, []))))
    return rows


class DatabaseCollector(Collector):
    """Gauges read from the database and the broker when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._safely(self._review_queue)
        yield from self._safely(self._quota)
        yield from self._safely(self._active_runs)
        yield from self._safely(self._queues)

    def _safely(self, produce) -> Iterable[GaugeMetricFamily]:
        # A store that is down must not turn the whole scrape into a 500: /health says that.
        try:
            return list(produce())
        except Exception:  # noqa: BLE001
            logger.warning("metrics collector %s failed", produce.__name__, exc_info=True)
            return []

    def _review_queue(self) -> Iterator[GaugeMetricFamily]:
        from syncing.models import ReviewItem

        open_items = ReviewItem.objects.filter(status=ReviewItem.Status.OPEN).count()
        yield GaugeMetricFamily(
            "musicsync_review_queue_open", "Items waiting for a person's review.", value=open_items
        )

    def _quota(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Max, Sum

        from platforms.models import QuotaLedger, pacific_day

        today = QuotaLedger.objects.filter(day=pacific_day()).aggregate(
            spent=Sum("units"), refused=Max("refused_at")
        )
        spent = today["spent"] or 0
        daily = settings.YOUTUBE_DAILY_QUOTA
        # Once YouTube answered quotaExceeded nothing is left, whatever the ledger counted.
        left = 0 if today["refused"] else max(0, daily - spent)
        yield GaugeMetricFamily(
            "musicsync_youtube_quota_spent_today_units",
            "YouTube units spent in the current Pacific day.",
            value=spent,
        )
        yield GaugeMetricFamily(
            "musicsync_youtube_quota_left_units",
            "YouTube units left in the current Pacific day.",
            value=left,
        )
        yield GaugeMetricFamily(
            "musicsync_youtube_quota_daily_units",
            "The configured daily YouTube quota.",
            value=daily,
        )

    def _active_runs(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count

        from syncing.models import Run

        family = GaugeMetricFamily(
            "musicsync_runs_active", "Runs not finished yet, by status.", labels=["status"]
        )
        counts = dict(
            Run.objects.filter(status__in=Run.ACTIVE)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in Run.ACTIVE:
            family.add_metric([str(status)], counts.get(status, 0))
        yield family

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "musicsync_queue_messages",
            "Messages in each Dramatiq queue, by state (ready, delayed, dead).",
            labels=["queue", "state"],
        )
        for queue, state, count in queue_depths():
            family.add_metric([queue, state], count)
        yield family


_collector = DatabaseCollector()
_registered = False


def register_collector() -> None:
    """Adds the scrape-time gauges to the default registry, once per process."""
    global _registered
    if not _registered:
        REGISTRY.register(_collector)
        _registered = True


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every process's files merged; the database gauges once, from this process.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collector)
        return registry
    register_collector()
    return REGISTRY


# --- The endpoint -------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a proxy we
    # trust rewrote it, and this check must not be talked around.
    return request.META.get("REMOTE_ADDR", "")


def _ip_allowed(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def _token_ok(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), expected.encode())


def _proxied(request: HttpRequest) -> bool:
    # Through a reverse proxy (an ingress), REMOTE_ADDR is the proxy's, often inside an
    # allowed network: the allow-list would let the whole internet in. Such requests
    # need the token.
    return "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META


def metrics_allowed(request: HttpRequest) -> bool:
    if _token_ok(request):
        return True
    return not _proxied(request) and _ip_allowed(_client_ip(request))


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition; 404 for anyone not allowed, so the endpoint is not advertised."""
    if not metrics_allowed(request):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


class MetricsEndpointMiddleware:
    """Answers /metrics before Django checks the Host header.

    Prometheus addresses pods and containers by IP or service name, which ALLOWED_HOSTS
    rightly does not list; the endpoint has its own guard (networks or token) instead.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != "/metrics":
            return self.get_response(request)
        if request.method != "GET" or not metrics_allowed(request):
            return HttpResponse(status=404)
        response = HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response
