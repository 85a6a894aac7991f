"""/metrics: the project's counters move, the scrape-time gauges read the database, and
only allowed addresses or the bearer token get an answer."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from musicsync import metrics
from platforms.models import QuotaLedger, Track, pacific_day

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def scrape(client, **extra) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.smoke
def test_a_finished_run_moves_the_runs_counter_and_its_duration(client, make_pair):
    from syncing.models import Run

    pair = make_pair(mode="mirror")
    run = Run.objects.create(pair=pair, user=make_pair.user, status=Run.Status.SUCCEEDED)
    before = scrape(client)

    metrics.run_started(mode=pair.mode, queued_for_s=2.5)
    metrics.run_finished(mode=pair.mode, status=run.status, duration_s=42.0)

    after = scrape(client)
    finished = "musicsync_runs_finished_total"
    labels = {"status": "succeeded", "mode": "mirror"}
    assert value(after, finished, **labels) == value(before, finished, **labels) + 1
    assert value(after, "musicsync_runs_started_total", mode="mirror") == (
        value(before, "musicsync_runs_started_total", mode="mirror") + 1
    )
    duration_count = "musicsync_run_duration_seconds_count"
    assert value(after, duration_count, **labels) == value(before, duration_count, **labels) + 1
    latency_sum = "musicsync_run_queue_latency_seconds_sum"
    assert (
        value(after, latency_sum, mode="mirror") == value(before, latency_sum, mode="mirror") + 2.5
    )


def test_items_matches_platform_calls_and_quota_are_counted(client):
    before = scrape(client)

    metrics.items_synced(action="add", count=3)
    metrics.items_synced(action="add", count=0)
    metrics.match_decided(outcome="accepted", confidence=0.97)
    metrics.match_decided(outcome="review", confidence=0.6)
    metrics.match_decided(outcome="unmatched", confidence=None)
    metrics.platform_call(platform="youtube", endpoint="playlistItems.insert", status=200)
    metrics.platform_call(platform="spotify", endpoint="playlist_items", status=429)
    metrics.quota_spent(units=50)

    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("musicsync_items_synced_total", action="add") == 3
    assert moved("musicsync_matches_total", outcome="accepted", confidence="0.95-1.00") == 1
    assert moved("musicsync_matches_total", outcome="review", confidence="0.50-0.70") == 1
    assert moved("musicsync_matches_total", outcome="unmatched", confidence="none") == 1
    calls = "musicsync_platform_calls_total"
    assert moved(calls, platform="youtube", endpoint="playlistItems.insert", status="200") == 1
    assert moved(calls, platform="spotify", endpoint="playlist_items", status="429") == 1
    assert moved("musicsync_youtube_quota_spent_units_total") == 50


def test_confidence_buckets_have_fixed_edges():
    assert metrics.confidence_bucket(0.0) == "0.00-0.50"
    assert metrics.confidence_bucket(0.5) == "0.50-0.70"
    assert metrics.confidence_bucket(0.849) == "0.70-0.85"
    assert metrics.confidence_bucket(0.85) == "0.85-0.95"
    assert metrics.confidence_bucket(1.0) == "0.95-1.00"
    assert metrics.confidence_bucket(None) == "none"


def test_an_unknown_match_outcome_is_counted_as_other_rather_than_failing(client):
    before = scrape(client)
    metrics.match_decided(outcome="made-up", confidence=0.9)
    after = scrape(client)
    name = "musicsync_matches_total"
    assert value(after, name, outcome="other", confidence="0.85-0.95") == (
        value(before, name, outcome="other", confidence="0.85-0.95") + 1
    )


def test_quota_left_is_the_daily_quota_minus_what_today_spent(client, alice, settings):
    from datetime import timedelta

    settings.YOUTUBE_DAILY_QUOTA = 10_000
    today = pacific_day()
    QuotaLedger.objects.create(day=today, user=alice, units=1_250)
    QuotaLedger.objects.create(day=today, user=None, units=100)
    QuotaLedger.objects.create(day=today - timedelta(days=1), user=alice, units=9_000)

    samples = scrape(client)

    assert value(samples, "musicsync_youtube_quota_spent_today_units") == 1_350
    assert value(samples, "musicsync_youtube_quota_left_units") == 8_650
    assert value(samples, "musicsync_youtube_quota_daily_units") == 10_000


def test_quota_left_is_none_once_youtube_refused_a_call_today(client, alice, settings):
    settings.YOUTUBE_DAILY_QUOTA = 10_000
    QuotaLedger.objects.create(day=pacific_day(), user=alice, units=1_250)
    QuotaLedger.objects.create(day=pacific_day(), user=None, refused_at=timezone.now())

    samples = scrape(client)

    assert value(samples, "musicsync_youtube_quota_spent_today_units") == 1_250
    assert value(samples, "musicsync_youtube_quota_left_units") == 0


def test_review_queue_and_active_runs_are_read_from_the_database(client, make_pair):
    from syncing.models import ReviewItem, Run

    alice = make_pair.user
    for n in range(3):
        track = Track.objects.create(platform="spotify", platform_id=f"t{n}", title=f"Song {n}")
        ReviewItem.objects.create(
            user=alice,
            source=track,
            target_platform="youtube",
            status=ReviewItem.Status.RESOLVED if n == 0 else ReviewItem.Status.OPEN,
        )
    Run.objects.create(pair=make_pair(), user=alice, status=Run.Status.RUNNING)
    Run.objects.create(pair=make_pair(), user=alice, status=Run.Status.WAITING)
    Run.objects.create(pair=make_pair(), user=alice, status=Run.Status.FAILED)

    samples = scrape(client)

    assert value(samples, "musicsync_review_queue_open") == 2
    assert value(samples, "musicsync_runs_active", status="running") == 1
    assert value(samples, "musicsync_runs_active", status="waiting") == 1
    assert value(samples, "musicsync_runs_active", status="queued") == 0


def test_queue_depth_counts_messages_no_worker_has_taken(client, broker):
    from musicsync.tasks import ping

    before = value(scrape(client), "musicsync_queue_messages", queue="default", state="ready")
    ping.send(uuid.uuid4().hex)
    ping.send(uuid.uuid4().hex)
    after = value(scrape(client), "musicsync_queue_messages", queue="default", state="ready")
    assert after == before + 2


def test_request_database_and_cache_metrics_of_django_prometheus_are_there(client):
    client.get("/health")  # one query, one cache read
    samples = scrape(client)
    names = {name for name, _ in samples}
    assert "django_http_requests_total_by_method_total" in names
    assert "django_http_responses_total_by_status_total" in names
    assert "django_db_execute_total" in names
    assert "django_cache_get_total" in names


def test_a_broken_store_leaves_the_rest_of_the_scrape_intact(client, monkeypatch):
    def broken():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(metrics, "queue_depths", broken)
    samples = scrape(client)
    assert ("musicsync_youtube_quota_left_units", ()) in samples


# --- Who may read /metrics -----------------------------------------------------------


def test_metrics_is_not_found_for_an_address_that_is_not_allowed(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 404
    assert b"musicsync_" not in response.content


def test_a_forwarded_for_header_naming_loopback_does_not_get_a_stranger_in(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 404


def test_a_request_through_a_proxy_needs_the_token_even_from_an_allowed_network(client, settings):
    # An ingress in the pod network forwards the internet's requests from its own address.
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    settings.METRICS_TOKEN = "k" * 32
    via_ingress = {"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert client.get("/metrics", **via_ingress).status_code == 404
    assert (
        client.get("/metrics", REMOTE_ADDR="10.1.1.1", HTTP_FORWARDED="for=1.2.3.4").status_code
        == 404
    )
    assert (
        client.get("/metrics", **via_ingress, HTTP_AUTHORIZATION=f"Bearer {'k' * 32}").status_code
        == 200
    )
    assert client.get("/metrics", REMOTE_ADDR="10.1.1.1").status_code == 200  # a direct scrape


def test_an_allowed_network_is_answered(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 404
    assert client.get("/metrics").status_code == 404  # loopback is no longer in the list


def test_the_bearer_token_is_answered_from_anywhere_and_a_wrong_one_is_not(client, settings):
    settings.METRICS_TOKEN = "scrape-me-" + "x" * 20
    good = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}"
    )
    bad = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert good.status_code == 200 and b"musicsync_runs_active" in good.content
    assert bad.status_code == 404


def test_a_scraper_reaching_the_app_by_ip_is_answered_whatever_allowed_hosts_say(client, settings):
    settings.ALLOWED_HOSTS = ["sync.example.com"]
    settings.METRICS_TOKEN = "t" * 32
    scraped = client.get(
        "/metrics", HTTP_HOST="10.1.2.3:8000", HTTP_AUTHORIZATION=f"Bearer {'t' * 32}"
    )
    stranger = client.get("/metrics", HTTP_HOST="10.1.2.3:8000", REMOTE_ADDR="203.0.113.9")
    page = client.get("/health", HTTP_HOST="10.1.2.3:8000")
    assert scraped.status_code == 200 and b"musicsync_runs_active" in scraped.content
    assert stranger.status_code == 404
    assert page.status_code == 400  # everything else still checks the Host


def test_no_token_configured_means_no_token_gets_in(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_a_bad_allowed_ip_stops_the_app_at_start_with_the_variable_name():
    env = {**os.environ, "METRICS_ALLOWED_IPS": "127.0.0.1,not-an-ip", "MUSICSYNC_TESTING": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import musicsync.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS" in result.stderr


# --- Several processes ---------------------------------------------------------------

_CHILD = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "musicsync.settings"
django.setup()
from musicsync import metrics
if sys.argv[1] == "count":
    metrics.run_finished(mode="two_way", status="partial", duration_s=1.0)
else:
    from prometheus_client import generate_latest
    sys.stdout.write(generate_latest(metrics._registry()).decode())
"""


@pytest.mark.slow
def test_several_processes_are_summed_when_a_multiprocess_dir_is_set(tmp_path):
    # Several gunicorn workers: each writes its own files, and /metrics merges them all.
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "MUSICSYNC_TESTING": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("REDIS_URL", None)

    def child(mode: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, mode],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    child("count")
    child("count")
    samples = parse(child("render"))
    assert value(samples, "musicsync_runs_finished_total", status="partial", mode="two_way") == 2


# --- Dramatiq's own worker metrics ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_a_dramatiq_worker_process_exports_its_message_counters(
    settings, transactional_db, tmp_path
):
    from django.core.cache import cache

    from musicsync.tasks import ping

    port = _free_port()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "MUSICSYNC_TESTING": "1",
        "REDIS_URL": settings.REDIS_URL,
        # The worker must see the rows this test's database has (the Task table).
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "dramatiq_prom_host": "127.0.0.1",
        "dramatiq_prom_port": str(port),
        "dramatiq_prom_db": str(tmp_path),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        token = uuid.uuid4().hex
        ping.send(token)
        deadline = time.monotonic() + 45
        text = ""
        while time.monotonic() < deadline:
            if cache.get(f"ping:{token}") == "pong":
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                        text = r.read().decode()
                except OSError:
                    text = ""
                if 'dramatiq_messages_total{actor_name="ping"' in text:
                    break
            time.sleep(0.3)
        assert cache.get(f"ping:{token}") == "pong", "the worker process never ran the job"
        samples = parse(text)
        assert (
            value(samples, "dramatiq_messages_total", queue_name="default", actor_name="ping") >= 1
        ), text
        # The app's own metrics in that process are exported too (the same files).
        assert "django_db_execute_total" in text, text
    finally:
        os.killpg(worker.pid, 15)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
            worker.wait(timeout=5)
