#!/usr/bin/env python3
"""Many people: every person's hourly pair fired in one scheduler tick, drained by workers.

N people (default 1,000) each have a small library in the sandbox (8 songs in a playlist,
drawn from 40 songs everybody shares, so the shared match cache is exercised) and one
hourly pair: that playlist into a new YouTube playlist. All pairs are due at once; one
`schedule_tick()` fires them onto Redis, and `manage.py rundramatiq` worker processes
(Dramatiq, --threads each) carry them out against the sandbox (its own server thread in
this process, --latency-ms added to every call). Three passes over the same work:

1. 1 worker process, quota enough for everyone;
2. 2 worker processes, quota enough for everyone;
3. 2 worker processes, a daily YouTube quota of --scarce-quota units (less than the
   work needs): how it was shared between the people.

For each pass: the tick's time, how long the queue took to drain (no run queued or
running), runs and items per second, the queue depth over time, and for the scarce
pass, units spent per person (min / median / max) and how many people got something.

    python bench/bench_many.py [--people 1000] [--threads 4] [--latency-ms 20]

Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/musicsync_bench_many, dropped and created afresh;
BENCH_REDIS_URL, default redis://127.0.0.1:6379/8, flushed).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/musicsync_bench_many"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
SONGS, PER_PERSON = 40, 8
SPOTIFY_SCOPES = (
    "playlist-read-private playlist-read-collaborative playlist-modify-public "
    "playlist-modify-private user-library-read user-library-modify"
)


def environment(sandbox_url: str, quota: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "musicsync.settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1rZXktMDAwMDAwMDAwMDAwMDAwMDA=",
        "MUSICSYNC_SANDBOX": "true",
        "SANDBOX_URL": sandbox_url,
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
        "YOUTUBE_DAILY_QUOTA": str(quota),
        "LOG_LEVEL": "error",
        "MUSICSYNC_EMBEDDED_WORKER": "false",
        "MUSICSYNC_VAR_DIR": "/tmp/musicsync-bench-many",
        "DRAMATIQ_PROMETHEUS": "false",
    }


def fresh_stores() -> None:
    import psycopg
    import redis

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS_URL).flushdb()


def seed(server, people: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from platforms.models import Collection, Connection
    from platforms.sandbox.seed import seed_large_library
    from platforms.sandbox.youtube import mint_tokens
    from syncing.models import SyncPair

    state = server.state
    users = User.objects.bulk_create(
        [User(email=f"person{i:04d}@example.com", password="!") for i in range(people)]
    )
    soon = timezone.now() + timedelta(hours=1)
    connections, sources = [], []
    for i, user in enumerate(users):
        who = f"bench-{i:04d}"
        made = seed_large_library(
            state, who, n_tracks=SONGS, playlists={"Hourly": PER_PERSON}, liked=0
        )
        with state.lock:
            access, refresh = state.spotify.issue_tokens(
                client_id="sandbox-spotify-client", user_id=who, scope=SPOTIFY_SCOPES,
                lifetime=24 * 3600, now=state.clock.now(), pkce=True,
            )  # fmt: skip
            google = mint_tokens(
                state, who, client_id="sandbox-google-client.apps.googleusercontent.com"
            )
        for platform, a, r in (
            ("spotify", access.token, refresh.token),
            ("youtube", google["access_token"], google["refresh_token"]),
        ):
            connections.append(
                Connection(
                    user=user,
                    platform=platform,
                    account_id=who,
                    account_name=who,
                    access_token=a,
                    refresh_token=r,
                    token_expires_at=soon,
                )  # fmt: skip
            )
        sources.append((user, made["playlists"]["Hourly"]["spotify"]))
    Connection.objects.bulk_create(connections, batch_size=500)
    spotify = {c.user_id: c for c in Connection.objects.filter(platform="spotify")}
    collections = Collection.objects.bulk_create(
        [
            Collection(connection=spotify[user.pk], platform_id=pid, name="Hourly", version="")
            for user, pid in sources
        ],
        batch_size=500,
    )
    SyncPair.objects.bulk_create(
        [
            SyncPair(
                user_id=c.connection.user_id,
                source=c,
                target_platform="youtube",
                target_name="Hourly on YouTube",
                schedule="hourly",
                next_run_at=soon,
            )  # fmt: skip
            for c in collections
        ],
        batch_size=500,
    )


def reset(server, quota: int) -> None:
    """The same work again: no runs, no targets, no cache, a fresh day of quota."""
    from datetime import timedelta

    from django.utils import timezone

    from platforms.models import Collection, QuotaLedger
    from syncing.models import MatchCache, ReviewItem, Run, SyncedItem, SyncPair

    Run.objects.all().delete()
    SyncedItem.objects.all().delete()
    ReviewItem.objects.all().delete()
    SyncPair.objects.update(target=None, next_run_at=timezone.now() - timedelta(minutes=1))
    Collection.objects.filter(connection__platform="youtube").delete()
    Collection.objects.update(imported_at=None, version="")
    MatchCache.objects.all().delete()
    QuotaLedger.objects.all().delete()
    with server.state.lock:
        yt = server.state.youtube
        for pid in [p.id for p in yt.playlists.values() if p.title == "Hourly on YouTube"]:
            del yt.playlists[pid]
    server.state.counters.reset()
    server.state.knobs.update(youtube_daily_quota=quota)


def run_pass(server, *, label: str, processes: int, threads: int, quota: int, limit: float):
    from django.conf import settings
    from django.db.models import Sum

    from platforms.models import QuotaLedger
    from syncing.models import Run, RunChange
    from syncing.services.schedule import schedule_tick

    reset(server, quota)
    settings.YOUTUBE_DAILY_QUOTA = quota
    env = environment(server.url, quota)
    workers = subprocess.Popen(
        [sys.executable, "manage.py", "rundramatiq", "--processes", str(processes),
         "--threads", str(threads)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(4)  # the worker processes boot and connect
    started = time.perf_counter()
    fired = schedule_tick()["fired"]
    tick = time.perf_counter() - started
    depth = []
    while True:
        counts = Counter(Run.objects.values_list("status", flat=True))
        elapsed = time.perf_counter() - started
        depth.append((round(elapsed), counts["queued"], counts["running"]))
        if counts["queued"] + counts["running"] == 0 or elapsed > limit:
            break
        time.sleep(1)
    drained = time.perf_counter() - started
    os.killpg(workers.pid, signal.SIGTERM)
    workers.wait(timeout=60)

    runs = Counter(Run.objects.values_list("status", flat=True))
    waits = Counter(Run.objects.filter(status="waiting").values_list("wait_reason", flat=True))
    added = RunChange.objects.filter(action="add", outcome="applied").count()
    calls = sum(server.state.counters.snapshot()["calls"].values())
    units = sorted(
        QuotaLedger.objects.filter(user__isnull=False)
        .values("user")
        .annotate(u=Sum("units"))
        .values_list("u", flat=True)
    )
    people = Run.objects.values("user").distinct().count()
    served = Run.objects.filter(changes__action="add", changes__outcome="applied")
    return {
        "label": label, "fired": fired, "tick_s": tick, "drain_s": drained,
        "runs": dict(runs), "waits": dict(waits), "added": added, "calls": calls,
        "runs_per_s": (runs["succeeded"] + runs["partial"]) / drained,
        "items_per_s": added / drained, "calls_per_s": calls / drained, "depth": depth,
        "units": units, "people": people,
        "people_served": served.values("user").distinct().count(),
        "timed_out": drained > limit,
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--scarce-quota", type=int, default=200_000)
    ap.add_argument("--limit", type=float, default=240, help="seconds a pass may take")
    args = ap.parse_args()

    from platforms.sandbox.testing import SandboxServer

    server = SandboxServer().start()
    server.state.knobs.update(latency_ms={"*": args.latency_ms}, spotify_rate_limit=10**9)
    ample = 10**9
    os.environ.update(environment(server.url, ample))
    os.makedirs("/tmp/musicsync-bench-many/static", exist_ok=True)
    fresh_stores()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(server, args.people)
    print(f"seeded {args.people} people in {time.perf_counter() - started:.0f}s", flush=True)

    passes = [
        ("1 worker process", 1, ample),
        ("2 worker processes", 2, ample),
        (f"2 worker processes, {args.scarce_quota:,} units of quota", 2, args.scarce_quota),
    ]
    results = []
    for label, processes, quota in passes:
        r = run_pass(server, label=label, processes=processes, threads=args.threads,
                     quota=quota, limit=args.limit)  # fmt: skip
        results.append(r)
        print(f"  {label}: fired {r['fired']} in {r['tick_s']:.1f}s, drained in "
              f"{r['drain_s']:.0f}s, runs {r['runs']}, waiting {r['waits']}")  # fmt: skip
        step = max(1, len(r["depth"]) // 12)
        shown = " ".join(f"{s}:{q}/{n}" for s, q, n in r["depth"][::step])
        print(f"    queue (s: queued/running): {shown}", flush=True)
    server.stop()

    print(
        f"\n{args.people} people, 1 hourly pair each ({PER_PERSON} songs -> a new YouTube "
        f"playlist); {args.threads} threads per worker process; sandbox latency "
        f"{args.latency_ms:.0f} ms per call; {os.cpu_count()} cores shared by the workers, "
        "the sandbox, PostgreSQL and Redis\n"
    )
    print("| pass | tick s | drain s | runs done | runs/s | items/s | platform calls/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        done = r["runs"].get("succeeded", 0) + r["runs"].get("partial", 0)
        print(f"| {r['label']} | {r['tick_s']:.1f} | {r['drain_s']:.0f}"
              f"{' (limit)' if r['timed_out'] else ''} | {done} | {r['runs_per_s']:.1f} | "
              f"{r['items_per_s']:.1f} | {r['calls_per_s']:.0f} |")  # fmt: skip
    scarce = results[-1]
    units = scarce["units"] or [0]
    print(
        f"\nscarce quota: {scarce['people_served']} of {scarce['people']} people got items "
        f"synced; units per person min {units[0]}, median {statistics.median(units):.0f}, "
        f"max {units[-1]} (spent {sum(units):,}); runs {scarce['runs']}, "
        f"waiting {scarce['waits']}"
    )
    return 1 if any(r["timed_out"] for r in results[:2]) else 0


if __name__ == "__main__":
    sys.exit(main())
