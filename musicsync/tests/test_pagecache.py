"""Pages and API lists asked for again come from the cache, and never show old data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from musicsync import pagecache
from platforms.tests import library_builders as build
from syncing.models import Run
from tests.api.library import token_client

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60


@pytest.fixture
def alice_tab(alice_client):
    """Alice's browser tab, which holds its CSRF cookie from its first page on."""
    alice_client.get(reverse("syncing:runs"))
    return alice_client


@pytest.fixture
def alices_run(alice):
    spotify, _youtube = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "Road trip", items=3))
    return build.run(pair, status=Run.Status.SUCCEEDED, added=3)


def _queries(client, url: str, **headers) -> tuple[int, str]:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_a_page_asked_for_again_is_given_without_reading_the_library(alice, alice_tab, alices_run):
    url = reverse("dashboard")

    first, first_text = _queries(alice_tab, url)
    again, again_text = _queries(alice_tab, url)

    assert "Road trip" in again_text
    # Only the person (for the log-in check) is read; the pairs and runs are not.
    assert first >= 5 and again == 1
    strip = re.compile(r'value="[^"]{64}"|"X-CSRFToken": "[^"]{64}"')
    assert strip.sub("", again_text) == strip.sub("", first_text)


def test_a_change_shows_on_the_next_request(alice_tab, alices_run):
    url = reverse("syncing:run", args=[alices_run.pk])
    assert "Succeeded" in alice_tab.get(url).content.decode()

    Run.objects.filter(pk=alices_run.pk).update(status=Run.Status.FAILED, error="Spotify said no")

    text = alice_tab.get(url).content.decode()
    assert "Spotify said no" in text


def test_a_poll_and_the_full_page_are_kept_apart(alice_tab, alices_run):
    url = reverse("syncing:run", args=[alices_run.pk])
    full = alice_tab.get(url).content.decode()

    fragment = alice_tab.get(url, headers={"HX-Request": "true", "HX-Target": "run-body"})

    assert "<html" in full
    assert "<html" not in fragment.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_by_another_process_shows_on_the_next_request(alice, alices_run):
    client = Client()
    client.force_login(alice)
    client.get(reverse("syncing:runs"))
    url = reverse("syncing:run", args=[alices_run.pk])
    assert "Succeeded" in client.get(url).content.decode()

    # A worker is another process with its own connection: it marks kept pages out of
    # date through the cache they share.
    database = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "true",
        "MUSICSYNC_TESTING": "0",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@"
            f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
        ),
    }
    write = (
        "from syncing.models import Run; "
        f"Run.objects.filter(pk={alices_run.pk}).update(status='failed', error='Worker wrote')"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", write],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    assert "Worker wrote" in client.get(url).content.decode()


def test_a_page_is_made_afresh_once_its_time_is_up(alice_tab, alices_run, monkeypatch):
    url = reverse("dashboard")
    _queries(alice_tab, url)
    assert _queries(alice_tab, url)[0] == 1

    later = pagecache.time.time() + 61
    monkeypatch.setattr(pagecache.time, "time", lambda: later)

    assert _queries(alice_tab, url)[0] > 1


def test_another_person_never_gets_a_kept_page_or_list(alice, alice_tab, bob, alices_run):
    url = reverse("syncing:run", args=[alices_run.pk])
    alice_tab.get(url)
    alice_api = token_client(alice)
    assert alice_api.get("/api/runs/").json()["count"] == 1

    bob_client = Client()
    bob_client.force_login(bob)

    assert bob_client.get(url).status_code == 404
    assert token_client(bob).get("/api/runs/").json()["count"] == 0


def test_a_kept_page_carries_a_fresh_working_csrf_token(alice, alices_run):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("syncing:run", args=[alices_run.pk])
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    client.get(reverse("syncing:runs"))
    first = token.search(client.get(url).content.decode()).group(1)
    kept = token.search(client.get(url).content.decode()).group(1)

    assert kept != first  # each response masks the secret afresh, as Django does
    response = client.post(
        reverse("syncing:run_cancel", args=[alices_run.pk]), {"csrfmiddlewaretoken": kept}
    )
    assert response.status_code == 302


def test_a_message_is_shown_once_and_never_kept(alice_tab, alices_run):
    url = reverse("syncing:run", args=[alices_run.pk])
    alice_tab.get(url)

    alice_tab.post(reverse("syncing:run_cancel", args=[alices_run.pk]))

    assert "already ended" in alice_tab.get(url).content.decode()
    assert "already ended" not in alice_tab.get(url).content.decode()


def test_an_api_list_is_kept_until_something_is_written(alice, alices_run):
    api = token_client(alice)
    api.get("/api/runs/")  # the token's first use of the day is written
    first, _ = _queries(api, "/api/pairs/")
    again, _ = _queries(api, "/api/pairs/")
    assert again < first

    spotify = alices_run.pair.source.connection
    build.pair(alice, build.playlist(spotify, "Gym"))

    names = {row["source_name"] for row in api.get("/api/pairs/").json()["results"]}
    assert names == {"Road trip", "Gym"}


def test_the_browsable_api_is_made_every_time(alice, alice_tab, alices_run):
    first, _ = _queries(alice_tab, "/api/runs/", Accept="text/html")
    again, _ = _queries(alice_tab, "/api/runs/", Accept="text/html")

    assert again == first


def test_nothing_is_kept_when_it_is_turned_off(alice_tab, alices_run, settings):
    settings.PAGE_CACHE_SECONDS = 0
    url = reverse("dashboard")

    first, _ = _queries(alice_tab, url)

    assert _queries(alice_tab, url)[0] == first


@pytest.mark.django_db(transaction=True)  # each save commits, as a person's saves do
def test_a_cache_that_is_down_fails_no_write_and_is_reported_once_a_minute(
    alice, monkeypatch, caplog
):
    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(pagecache.cache, "set", down)
    monkeypatch.setattr(pagecache, "_failures", {"count": 0, "logged_at": None})
    clock = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])

    for n in range(5):
        alice.first_name = f"Alice {n}"
        alice.save(update_fields=["first_name"])
    clock[0] += pagecache.FAILURE_LOG_SECONDS
    alice.save(update_fields=["first_name"])

    alice.refresh_from_db()
    assert alice.first_name == "Alice 4"
    warnings = [r.getMessage() for r in caplog.records if r.name == "musicsync.pagecache"]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("could not mark cached pages out of date (1 write(s)")
    # the next warning, a minute on, counts the failed bumps of the writes in between
    counted = int(re.search(r"\((\d+) write", warnings[1]).group(1))
    assert counted >= 5


@pytest.mark.django_db(transaction=True)
def test_a_transactions_many_writes_mark_pages_out_of_date_once_and_at_commit(alice, monkeypatch):
    from django.db import transaction

    bumps = []
    real_bump = pagecache.bump
    monkeypatch.setattr(pagecache, "bump", lambda: (bumps.append(1), real_bump()))

    with transaction.atomic():
        for n in range(50):
            alice.first_name = f"Alice {n}"
            alice.save(update_fields=["first_name"])
        assert len(bumps) == 1  # the first write; others cannot see the rest before commit
    assert len(bumps) == 2  # and once at commit


# --- A worker's writes ----------------------------------------------------------------


@pytest.fixture
def bumps(monkeypatch):
    """Each bump's thread; a fresh bumping thread, so no other test's pause carries over."""
    made = []
    real_bump = pagecache.bump
    fresh = pagecache._DeferredBumps()
    monkeypatch.setattr(pagecache, "deferred", fresh)

    def counted():
        made.append(threading.current_thread().name)
        return real_bump()

    monkeypatch.setattr(pagecache, "bump", counted)
    yield made
    fresh.stop()  # no bump of this test's lands in the next one


def _in_a_worker_thread(job) -> None:
    """Run ``job`` as a Dramatiq job runs: in a thread of its own, through our middleware."""
    from django.db import connection as thread_connection

    middleware = pagecache.DeferBumpsInWorkers()

    def run():
        middleware.before_process_message(None, None)
        try:
            job()
        finally:
            middleware.after_process_message(None, None)
            thread_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)


def _shows_within(client, url: str, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in client.get(url).content.decode():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_jobs_many_writes_mark_pages_out_of_date_a_few_times_and_show_while_it_runs(
    alice_tab, alices_run, bumps
):
    url = reverse("syncing:run", args=[alices_run.pk])
    assert "Succeeded" in alice_tab.get(url).content.decode()
    written = threading.Event()
    page_seen = threading.Event()

    job_thread = []

    def job():
        job_thread.append(threading.current_thread().name)
        for n in range(200):  # a run's progress, written outside any transaction
            Run.objects.filter(pk=alices_run.pk).update(error=f"Progress {n}")
        written.set()
        page_seen.wait(10)  # the job goes on (waiting on a platform) while a page is asked for

    worker = threading.Thread(target=_in_a_worker_thread, args=(job,))
    worker.start()
    assert written.wait(10)
    try:
        # Shown while the job still runs: the bumping thread caught up with the writes.
        assert _shows_within(alice_tab, url, "Progress 199", seconds=2)
    finally:
        page_seen.set()
        worker.join(30)

    # By the bumping thread, a few times, not once per write; the job's own thread bumps
    # only as it ends, never on a write.
    assert 1 <= bumps.count("pagecache-bumps") < 20
    assert bumps.count(job_thread[0]) <= 1


@pytest.mark.django_db(transaction=True)
def test_a_page_asked_for_after_a_job_shows_all_it_wrote(alice_tab, alices_run, bumps, monkeypatch):
    monkeypatch.setattr(pagecache, "DEFERRED_BUMP_SECONDS", 30)  # no catching up meanwhile
    url = reverse("syncing:run", args=[alices_run.pk])

    def job():
        Run.objects.filter(pk=alices_run.pk).update(error="First write")
        deadline = time.monotonic() + 5
        while not bumps and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _shows_within(alice_tab, url, "First write", seconds=2)  # kept from here on
        Run.objects.filter(pk=alices_run.pk).update(error="Last write")

    _in_a_worker_thread(job)

    assert "Last write" in alice_tab.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_job_writes_while_the_cache_is_down_and_pages_catch_up_when_it_is_back(
    alice_tab, alices_run, bumps, monkeypatch
):
    url = reverse("syncing:run", args=[alices_run.pk])
    alice_tab.get(url)
    assert _queries(alice_tab, url)[0] == 1  # kept from here on
    # Down for every thread (each thread has its own cache client).
    cache_class = type(caches["default"])
    real_set = cache_class.set
    cache_down = [True]

    def set_or_fail(self, *args, **kwargs):
        if cache_down[0]:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return real_set(self, *args, **kwargs)

    monkeypatch.setattr(cache_class, "set", set_or_fail)
    monkeypatch.setattr(pagecache, "DEFERRED_BUMP_SECONDS", 0.05)
    monkeypatch.setattr(pagecache, "CACHE_DOWN_SECONDS", 0.05)

    _in_a_worker_thread(
        lambda: Run.objects.filter(pk=alices_run.pk).update(error="Written while down")
    )
    run = Run.objects.get(pk=alices_run.pk)
    assert run.error == "Written while down"  # the write itself never waited on the cache

    cache_down[0] = False
    assert _shows_within(alice_tab, url, "Written while down", seconds=2)


@pytest.mark.django_db(transaction=True)
def test_a_cache_that_does_not_answer_is_left_alone_for_a_while(
    alice, alice_tab, alices_run, monkeypatch
):
    url = reverse("syncing:run", args=[alices_run.pk])
    alice_tab.get(url)
    assert _queries(alice_tab, url)[0] == 1  # kept
    monkeypatch.setattr(pagecache, "CACHE_DOWN_SECONDS", 0.5)
    monkeypatch.setattr(pagecache, "_down", {"until": 0.0, "owed": False})
    cache_class = type(caches["default"])
    asked = []
    unreachable = [True]

    def through(name):
        real = getattr(cache_class, name)

        def call(self, *args, **kwargs):
            if unreachable[0]:
                asked.append(name)  # each of these would wait out the connect timeout
                raise TimeoutError("Timeout connecting to server")
            return real(self, *args, **kwargs)

        return call

    for name in ("set", "get_many"):
        monkeypatch.setattr(cache_class, name, through(name))

    for n in range(20):
        Run.objects.filter(pk=alices_run.pk).update(error=f"Write {n}")
    assert "Write 19" in alice_tab.get(url).content.decode()  # made afresh meanwhile
    assert asked == ["set"]  # one write found the cache down; nothing asked it since

    unreachable[0] = False
    time.sleep(0.6)
    Run.objects.filter(pk=alices_run.pk).update(error="Written after")  # pays what is owed
    assert "Written after" in alice_tab.get(url).content.decode()
    assert _queries(alice_tab, url)[0] == 1  # kept again
