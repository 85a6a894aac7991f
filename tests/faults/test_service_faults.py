"""Our own services failing mid-run: Redis restarted, PostgreSQL connections cut, the
scheduler started twice. Each ends with every target exactly as planned."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import dramatiq
import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from syncing.models import Run, RunChange, SyncPair
from syncing.services.recovery import resume_unfinished_work
from syncing.services.runs import run_execute, run_start, runs_resume_due
from syncing.tasks import execute_run
from tests.faults.conftest import (
    applied_adds,
    assert_target_is_exactly_the_plan,
    new_pair,
    planned_adds,
    playlist,
    target_ids,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
# A Redis of this test's own, so restarting it disturbs nobody else's on 6379.
PRIVATE_REDIS_PORT = int(os.environ.get("MUSICSYNC_FAULTS_REDIS_PORT", "6390"))


def finished(run: Run) -> bool:
    return Run.objects.get(pk=run.pk).status in Run.FINISHED


# --- Redis ------------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.client = redis.Redis(port=port, socket_timeout=2)

    def up(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes"],
            check=True, capture_output=True,
        )  # fmt: skip
        assert wait_for(self.up, timeout=10), f"redis-server did not start on {self.port}"

    def stop(self) -> None:
        try:
            self.client.shutdown(nosave=True)
        except redis.RedisError:  # redis-py reports the closed connection of a successful shutdown
            pass
        assert wait_for(lambda: not self.up(), timeout=10)


@pytest.fixture
def private_redis():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(PRIVATE_REDIS_PORT)
    if server.up():
        pytest.skip(f"port {PRIVATE_REDIS_PORT} is taken by another Redis")
    server.start()
    yield server
    if server.up():
        server.stop()


@pytest.fixture
def private_worker(private_redis, monkeypatch, transactional_db):
    """A real Dramatiq worker whose broker is the private Redis; runs are enqueued there."""
    from django_dramatiq.middleware import DbConnectionsMiddleware
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import AgeLimit, Callbacks, Retries, TimeLimit

    broker = RedisBroker(
        url=private_redis.url,
        namespace="musicsync-faults",
        middleware=[AgeLimit(), TimeLimit(), Callbacks(), Retries(), DbConnectionsMiddleware()],
    )
    monkeypatch.setattr(execute_run, "broker", broker)
    broker.declare_actor(execute_run)
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()
    broker.close()


@pytest.mark.redis
def test_a_redis_restart_mid_run_loses_no_run_and_duplicates_nothing(
    library, platform_settings, private_redis, private_worker
):
    sandbox = platform_settings
    first = new_pair(library, name="Across the restart", min_items=25)
    second = new_pair(library, name="Triggered while Redis was down")
    expected = {first.pk: planned_adds(first), second.pk: planned_adds(second)}
    sandbox.state.knobs.update(latency_ms={"youtube.playlistItems.insert": 100})

    running = run_start(pair=first, trigger=Run.Trigger.MANUAL)
    assert wait_for(lambda: applied_adds(running) >= 5, timeout=60), "the worker never wrote"
    private_redis.stop()  # every queue and in-flight bookkeeping in Redis is gone

    # A person presses "Sync now" while Redis is down: the run is stored (no error page),
    # the message is not.
    stranded = run_start(pair=second, trigger=Run.Trigger.MANUAL)
    stranded.refresh_from_db()
    assert stranded.status == Run.Status.QUEUED

    private_redis.start()
    # The run in flight never needed Redis to write: it finishes on the same worker.
    assert wait_for(lambda: finished(running), timeout=120), Run.objects.get(pk=running.pk)
    # The scheduler's rescue sends the stranded run again once it looks stale.
    Run.objects.filter(pk=stranded.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert stranded.pk in resume_unfinished_work(stale_only=True)
    assert wait_for(lambda: finished(stranded), timeout=120), Run.objects.get(pk=stranded.pk)

    assert_target_is_exactly_the_plan(sandbox, running, expected[first.pk])
    assert_target_is_exactly_the_plan(sandbox, stranded, expected[second.pk])


# --- PostgreSQL ---------------------------------------------------------------------------


@contextmanager
def database_restarting() -> Iterator[int]:
    """What a PostgreSQL restart does to a worker, on the test database alone.

    Restarting the server would disturb everybody's tests on this machine. So, as a
    restart does: the database's other connections are closed under them, and while it
    is "down" (the block) every new connection is refused. Yields how many were closed.
    """
    db = connection.settings_dict
    name = connection.ops.quote_name(db["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        ours = cursor.fetchone()[0]
    # A database's connections are switched off from another database's session.
    admin = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
        password=db["PASSWORD"] or None, dbname="postgres", autocommit=True,
    )  # fmt: skip
    with admin:
        admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
        try:
            closed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                (db["NAME"], ours),
            ).fetchone()[0]
            yield closed
        finally:
            admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")


@pytest.mark.postgres
def test_database_connections_cut_mid_run_leave_a_run_that_resumes_without_duplicates(
    library, platform_settings, worker
):
    sandbox = platform_settings
    pair = new_pair(library, name="Database went away", min_items=25)
    expected = planned_adds(pair)
    sandbox.state.knobs.update(latency_ms={"youtube.playlistItems.insert": 100})

    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL)
    assert wait_for(lambda: applied_adds(run) >= 5, timeout=60), "the worker never wrote"
    with database_restarting() as closed:
        assert closed >= 1
        last = applied_adds(run)
        time.sleep(2)  # down: the worker's attempts to connect again are refused
    time.sleep(2.5)
    # A query that fails inside a transaction makes Django drop the dead connection, and
    # the next one opens a fresh connection: when the worker's first query after the cut
    # was the quota ledger's (which keeps its units and goes on), the run simply carries on.
    carried_on = applied_adds(run) > last + 1
    assert carried_on or applied_adds(run) < expected, "the run finished before the cut"
    planned = set(
        RunChange.objects.filter(run=run, action="add").values_list(
            "counterpart__platform_id", flat=True
        )
    )
    run.refresh_from_db()
    sandbox.state.knobs.update(latency_ms={})
    # Otherwise the run says what happened: "running" with a heartbeat that goes stale (the
    # worker could not write again), or waiting to retry (it could) — never "failed" for a
    # passing fault.
    if carried_on:
        pass
    elif run.status == Run.Status.RUNNING:
        Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
        assert run.pk in resume_unfinished_work(stale_only=True)
    else:
        assert (run.status, run.wait_reason) == (Run.Status.WAITING, "retry"), run.status
        assert "database" in run.error
        assert run.pk in runs_resume_due(now=run.resume_at + timedelta(seconds=1))
    final = run
    assert wait_for(lambda: finished(final), timeout=120), Run.objects.get(pk=final.pk)
    final.refresh_from_db()
    assert final.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), final.error
    remote = target_ids(sandbox, pair)
    assert len(remote) == len(set(remote)), "an item was added twice"
    assert set(remote) == planned, "an item was lost or an extra one appeared"


# --- the scheduler ------------------------------------------------------------------------


def scheduler_env(settings) -> dict[str, str]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "musicsync.settings",
        "MUSICSYNC_TESTING": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "SANDBOX_URL": settings.SANDBOX_URL,
    }
    # No shared lock: each process gets its own local cache, so both really tick, and only
    # the conditional claim on each pair stands between them and a double run.
    env.pop("REDIS_URL", None)
    return env


@pytest.mark.postgres
def test_two_scheduler_processes_fire_each_due_pair_once(library, platform_settings, settings):
    sandbox = platform_settings
    sources = [playlist(library, "spotify"), playlist(library, "youtube")]
    pairs = [
        new_pair(library, source_platform=s.connection.platform, name=f"Hourly {i}")
        for i, s in enumerate(sources)
    ]
    SyncPair.objects.filter(pk__in=[p.pk for p in pairs]).update(
        schedule=SyncPair.Schedule.HOURLY, next_run_at=timezone.now() - timedelta(minutes=1)
    )
    env = scheduler_env(settings)
    command = [sys.executable, "manage.py", "run_scheduler", "--once"]

    schedulers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [s.communicate(timeout=60)[0] for s in schedulers]

    assert all(s.returncode == 0 for s in schedulers), outputs
    fired = sum(int(o.split("'fired': ")[1].split(",")[0]) for o in outputs if "'fired'" in o)
    assert fired == len(pairs), outputs
    for pair in pairs:
        runs = list(Run.objects.filter(pair=pair, dry_run=False))
        assert [r.trigger for r in runs] == [Run.Trigger.SCHEDULE]
        pair.refresh_from_db()
        assert pair.next_run_at > timezone.now() + timedelta(minutes=50)
        # The workers (here: this process) carry out each run once.
        run_execute(run_id=runs[0].pk)
        runs[0].refresh_from_db()
        assert runs[0].status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), runs[0].error
        remote = target_ids(sandbox, pair)
        assert len(remote) == len(set(remote)) == runs[0].added > 0
