#!/usr/bin/env python3
"""Web load: the pages a person with a big library uses, beside a bare view, under wrk.

One person with a 10,000-track library on each platform (a 10,000-item playlist on
each, 5,000 liked songs each, 50 more playlists of 200) and 50 sync pairs with their
runs (one running, with a 200-change log, being polled). gunicorn serves the app on
loopback, on PostgreSQL and Redis as in production (DEBUG off). wrk requests each page
for --seconds at --connections, after a short warm-up; the table gives requests per
second, p50 and p99 latency, each page's p99 as a multiple of the bare view's (goal:
at most 3x), and the web processes' memory (RSS) before and after.

    python bench/bench_web.py [--seconds 15] [--connections 8] [--workers 2 --threads 4]

Needs wrk (apt-get install wrk), PostgreSQL and Redis (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/musicsync_bench, dropped and created afresh;
BENCH_REDIS_URL, default redis://127.0.0.1:6379/8, flushed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/musicsync_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
TRACKS = 10_000
PAIRS = 50


def environment() -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1rZXktMDAwMDAwMDAwMDAwMDAwMDA=",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        # The API's per-person limit (600 per 10 minutes) would answer 429 within seconds.
        "RATE_LIMIT_API": "100000000/10m",
        "LOG_LEVEL": "warning",
        "MUSICSYNC_SANDBOX": "false",
        "MUSICSYNC_EMBEDDED_WORKER": "false",
        "MUSICSYNC_VAR_DIR": "/tmp/musicsync-bench-web",
    }
    return env


def fresh_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def seed() -> dict[str, str]:
    """The person, their library, pairs and runs; returns the URLs to load and a cookie."""
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from platforms.models import Collection, CollectionItem, Connection, Track
    from syncing.models import Run, RunChange, SyncPair

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(email="bench@example.com", password="bench password 42")
    now = timezone.now()
    conns, everything, tracks = {}, {}, {}
    for platform in ("spotify", "youtube"):
        conns[platform] = Connection.objects.create(
            user=user, platform=platform, account_id=f"bench-{platform}",
            account_name=f"Bench on {platform}", access_token="x", refresh_token="y",
            token_expires_at=now + timedelta(hours=1), import_status="done", last_import_at=now,
        )  # fmt: skip
        tracks[platform] = Track.objects.bulk_create(
            [
                Track(
                    platform=platform, platform_id=f"{platform[:2]}{i:08d}",
                    title=f"Song number {i}", artists=[f"Artist {i % 700}"]
                    if platform == "spotify" else [],
                    channel=f"Artist {i % 700} - Topic" if platform == "youtube" else "",
                    album=f"Album {i % 900}" if platform == "spotify" else "",
                    duration_ms=150_000 + i, isrc=f"BENCH{i:07d}" if platform == "spotify" else "",
                )
                for i in range(TRACKS)
            ],
            batch_size=2000,
        )  # fmt: skip

        def collection(name, items, kind="playlist", platform=platform):
            c = Collection.objects.create(
                connection=conns[platform], platform_id=f"{platform}-{name}", name=name,
                kind=kind, item_count=len(items), imported_at=now, version="v1",
            )  # fmt: skip
            CollectionItem.objects.bulk_create(
                [CollectionItem(collection=c, position=p, track=t) for p, t in enumerate(items)],
                batch_size=5000,
            )
            return c

        everything[platform] = collection("Everything", tracks[platform])
        collection("Liked songs", tracks[platform][::2], kind="liked")
        if platform == "spotify":
            sources = [
                collection(f"Mix {n}", tracks[platform][n * 200 : (n + 1) * 200])
                for n in range(PAIRS)
            ]
    pairs = [
        SyncPair.objects.create(
            user=user,
            source=source,
            target_platform="youtube",
            target_name=source.name,
            schedule="hourly",
            next_run_at=now + timedelta(hours=1),
        )  # fmt: skip
        for source in sources
    ]
    yt = tracks["youtube"]
    runs = []
    for n, pair in enumerate(pairs):
        for status in ("succeeded", "partial"):
            runs.append(
                Run.objects.create(
                    pair=pair,
                    user=user,
                    status=status,
                    trigger="schedule",
                    started_at=now,
                    finished_at=now,
                    added=190,
                    unmatched=10,
                    progress_done=190,
                    progress_total=190,
                    planned=True,
                )  # fmt: skip
            )
        last = runs[-1]
        RunChange.objects.bulk_create(
            [
                RunChange(
                    run=last,
                    seq=i,
                    action="add" if i < 190 else "unmatched",
                    side="target",
                    item_id=t,
                    counterpart=yt[n * 200 + i] if i < 190 else None,
                    outcome="applied" if i < 190 else "skipped",
                    confidence=0.93,
                    method="isrc",
                    reason="same ISRC; title and artist agree",
                )  # fmt: skip
                for i, t in enumerate(
                    pair.source.items.order_by("position").values_list("track", flat=True)
                )
            ]
        )
    live_pair = pairs[0]
    Run.objects.filter(pair=live_pair).delete()
    live = Run.objects.create(
        pair=live_pair, user=user, status="running", trigger="manual", started_at=now,
        heartbeat_at=now, progress_label="Adding 120 of 200", progress_done=120,
        progress_total=200, planned=True,
    )  # fmt: skip
    RunChange.objects.bulk_create(
        RunChange(
            run=live,
            seq=i,
            action="add",
            side="target",
            item_id=t,
            counterpart=yt[i],
            outcome="applied" if i < 120 else "planned",
        )  # fmt: skip
        for i, t in enumerate(
            live_pair.source.items.order_by("position").values_list("track", flat=True)
        )
    )
    # Fresh tables have no planner statistics until autovacuum gets to them; a live
    # database has them, so measure with them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(user)
    client.get("/", HTTP_HOST="127.0.0.1")  # a browser holds the CSRF cookie from then on
    cookie = "; ".join(
        f"{name}={client.cookies[name].value}" for name in ("sessionid", "csrftoken")
    )
    return {
        "cookie": cookie,
        "urls": {
            "bare view": ("/bench/bare", []),
            "dashboard": ("/", []),
            "playlist page (10,000 items)": (
                f"/library/collections/{everything['spotify'].pk}/",
                [],
            ),
            "run detail poll (HTMX)": (
                f"/sync/runs/{live.pk}/",
                ["HX-Request: true", "HX-Target: run-body"],
            ),
            "run detail (full page)": (f"/sync/runs/{live.pk}/", []),
            "API /api/playlists/": ("/api/playlists/", []),
            "API /api/pairs/": ("/api/pairs/", []),
            "API /api/runs/": ("/api/runs/", []),
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of the gunicorn master and its workers, in KiB."""
    out = subprocess.run(
        ["ps", "-o", "rss=", "--pid", str(pid), "--ppid", str(pid)],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    return sum(int(x) for x in out.split())


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    # wrk prints "812.00us", "3.41ms", "1.02s", and "1.00m" past a minute.
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


# The "Latency Distribution" lines ("     99%  312.20ms"), not a stdev share ("87.99%").
_DISTRIBUTION = {
    q: re.compile(rf"^\s+{q}%\s+([\d.]+(?:us|ms|s|m))\s*$", re.MULTILINE) for q in ("50", "99")
}


def wrk(url: str, cookie: str, headers: list[str], seconds: int, connections: int) -> dict:
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
    ]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if not _DISTRIBUTION["99"].search(out):
        raise RuntimeError(f"wrk gave no latency figures for {url}:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(_DISTRIBUTION["50"].search(out).group(1)),
        "p99": _ms(_DISTRIBUTION["99"].search(out).group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument(
        "--only", help="load only the pages whose label contains this (and the bare view)"
    )
    ap.add_argument(
        "--no-page-cache",
        action="store_true",
        help="make every page afresh (PAGE_CACHE_SECONDS=0): the cost of a page that changed",
    )
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("bench web: wrk is not installed (apt-get install wrk)")
        return 2

    env = environment()
    env["PAGE_CACHE_SECONDS"] = "0" if args.no_page_cache else "60"
    os.environ.update(env)
    os.makedirs(Path(env["MUSICSYNC_VAR_DIR"]) / "static", exist_ok=True)
    started = time.perf_counter()
    fresh_database()
    plan = seed()
    print(f"seeded {TRACKS:,} tracks per platform and {PAIRS} pairs in "
          f"{time.perf_counter() - started:.0f}s", flush=True)  # fmt: skip

    port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "musicsync.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/bare", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        rss_before = rss_kib(gunicorn.pid)
        results = {}
        for label, (path, headers) in plan["urls"].items():
            if args.only and label != "bare view" and args.only not in label:
                continue
            wrk(base + path, plan["cookie"], headers, 3, 2)  # warm-up: caches, connections
            results[label] = wrk(base + path, plan["cookie"], headers, args.seconds,
                                 args.connections)  # fmt: skip
            r = results[label]
            print(f"  {label}: {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, "
                  f"p99 {r['p99']:.1f} ms", flush=True)  # fmt: skip
        rss_after = rss_kib(gunicorn.pid)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    bare = results["bare view"]["p99"]
    print(
        f"\ngunicorn gthread {args.workers} workers x {args.threads} threads; wrk 2 threads, "
        f"{args.connections} connections, {args.seconds}s per page; {os.cpu_count()} cores "
        "shared by wrk, gunicorn, PostgreSQL and Redis; pages "
        + ("made afresh every time" if args.no_page_cache else "kept between writes")
        + "\n"
    )
    print("| page | req/s | p50 ms | p99 ms | p99 / bare p99 | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    failed = False
    for label, r in results.items():
        ratio = r["p99"] / bare if bare else float("nan")
        failed |= r["non_2xx"] > 0
        print(f"| {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
              f"{ratio:.1f}x | {r['non_2xx']} |")  # fmt: skip
    print(
        f"\nweb processes' memory (master + {args.workers} workers, RSS): "
        f"{rss_before / 1024:.0f} MiB after start-up, {rss_after / 1024:.0f} MiB after the load"
    )
    if failed:
        print("some requests did not answer 2xx/3xx: the figures above are not valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
