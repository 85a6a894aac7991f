#!/usr/bin/env python3
"""Benchmark a full sync of a large library against the sandbox, then a re-sync.

A sandbox person gets N tracks (default 10,000) in several playlists plus liked songs
on both platforms. Every Spotify collection is synced to a new YouTube playlist, and
every YouTube playlist to a new Spotify playlist, first with an empty match cache and
then again with nothing changed. For each pass it prints the platform calls per
endpoint, YouTube quota units, the floor (the fewest calls any correct sync needs: one
read per page, one search per track nobody matched yet (on YouTube with the one
videos.list call that gives the results' lengths), one write per added item or batch,
one call per playlist created), database queries, wall time and peak memory.

    python bench/bench_sync.py [--tracks 10000]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(var_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicsync.settings")
    os.environ.update(
        DEBUG="true",
        MUSICSYNC_VAR_DIR=var_dir,
        MUSICSYNC_EMBEDDED_WORKER="false",
        YOUTUBE_DAILY_QUOTA="100000000",
        LOG_LEVEL="warning",
    )
    os.environ.pop("DATABASE_URL", None) if "--sqlite" in sys.argv else None
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def point_settings_at(server) -> None:
    from django.conf import settings

    from platforms.oauth import configure_endpoints

    google = server.google_oauth_url
    settings.SANDBOX_URL = server.url
    settings.SPOTIFY_ACCOUNTS_URL = server.spotify_accounts_url
    settings.SPOTIFY_API_URL = server.spotify_api_url
    settings.GOOGLE_OAUTH_URL = google
    settings.YOUTUBE_API_URL = server.youtube_api_url
    settings.GOOGLE_TOKEN_URL = f"{google}/token"
    settings.GOOGLE_ID_TOKEN_ISSUER = google
    configure_endpoints()


def calls(server) -> Counter:
    return Counter(server.state.counters.snapshot()["calls"])


def quota(server) -> int:
    return sum(day.get("used", 0) for day in server.state.counters.snapshot()["quota"].values())


WRITE_WORDS = ("insert", ".post", ".put", ".delete", "rate")


def run_pass(label: str, server, pairs) -> dict:
    from django.db import connection

    from platforms.models import Collection
    from syncing.models import MatchCache, Run
    from syncing.services.runs import run_execute, run_start

    collections_before = Collection.objects.count()
    server.state.counters.reset()
    cached_before = MatchCache.objects.count()
    cached_youtube_before = MatchCache.objects.filter(target_platform="youtube").count()
    quota_before = quota(server)
    started = time.perf_counter()
    runs = []
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for pair in pairs:
            run = run_start(pair=pair, trigger=Run.Trigger.COMMAND)
            run_execute(run_id=run.pk)
            run.refresh_from_db()
            runs.append(run)
    elapsed = time.perf_counter() - started
    seen = calls(server)
    searches = sum(v for k, v in seen.items() if "search" in k)
    new_cache = MatchCache.objects.count() - cached_before
    # A YouTube search's results need one videos.list call for their lengths.
    new_cache += MatchCache.objects.filter(target_platform="youtube").count()
    new_cache -= cached_youtube_before
    pages = writes = 0
    for run in runs:
        pair = run.pair
        pair.refresh_from_db()
        # One read per page of what the run had to read: the source, and the target as
        # it was before the run (empty when the run created it).
        pages += max(1, math.ceil(pair.source.items.count() / 50))
        if label != "first":
            pages += sum(
                max(1, math.ceil(c.items.count() / 50))
                for c in Collection.objects.filter(pk__in=[pair.target_id, *pair.overflow_targets])
            )
        adds = run.changes.filter(action="add", outcome="applied").count()
        batch = 100 if pair.target_platform == "spotify" else 1
        writes += math.ceil(adds / batch)
    created = Collection.objects.count() - collections_before
    floor = pages + new_cache + writes + created
    total = sum(seen.values())
    statuses = Counter(r.status for r in runs)
    return {
        "label": label,
        "runs": dict(statuses),
        "added": sum(r.added for r in runs),
        "unmatched": sum(r.unmatched for r in runs),
        "calls": total,
        "floor": floor,
        "ratio": round(total / floor, 3) if floor else None,
        "searches": searches,
        "writes": sum(v for k, v in seen.items() if any(w in k for w in WRITE_WORDS)),
        "quota_units": quota(server) - quota_before,
        "db_queries": queries[0],
        "seconds": round(elapsed, 1),
        "by_endpoint": dict(sorted(seen.items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--sqlite", action="store_true", help="ignore DATABASE_URL")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="musicsync-bench-")
    setup_django(var_dir)

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from platforms.models import Collection, Connection
    from platforms.sandbox.seed import seed_large_library
    from platforms.sandbox.testing import SandboxServer, spotify_tokens
    from platforms.sandbox.youtube import mint_tokens
    from platforms.services import library_import
    from syncing.services.pairs import pair_create

    server = SandboxServer().start()
    point_settings_at(server)
    person = "bench-person"
    server.state.knobs.update(youtube_daily_quota=100_000_000, spotify_rate_limit=10_000_000)
    seed_large_library(server.state, person, n_tracks=args.tracks)
    print(f"sandbox seeded: {args.tracks} tracks for {person}", flush=True)

    user = get_user_model().objects.create_user(email="bench@example.com", password="bench-pass-1")
    grant = spotify_tokens(server, person)
    with server.state.lock:
        ygrant = mint_tokens(server.state, person)
    now = timezone.now()
    spotify = Connection.objects.create(
        user=user, platform="spotify", account_id=person, access_token=grant["access_token"],
        refresh_token=grant["refresh_token"], token_expires_at=now + timezone.timedelta(hours=1),
    )  # fmt: skip
    youtube = Connection.objects.create(
        user=user, platform="youtube", account_id=person, access_token=ygrant["access_token"],
        refresh_token=ygrant["refresh_token"], token_expires_at=now + timezone.timedelta(hours=1),
    )  # fmt: skip
    t0 = time.perf_counter()
    library_import(connection_id=spotify.pk)
    library_import(connection_id=youtube.pk)
    print(f"imported both libraries in {time.perf_counter() - t0:.1f}s", flush=True)

    results = []
    for source_conn, target_platform in ((spotify, "youtube"), (youtube, "spotify")):
        pairs = [
            pair_create(
                user=user,
                source=c,
                target=None,
                target_platform=target_platform,
                target_name=f"{c.name} (synced)",
                mode="mirror",
            )  # fmt: skip
            for c in Collection.objects.filter(connection=source_conn).order_by("kind", "name")
        ]
        direction = f"{source_conn.platform}->{target_platform}"
        for label in ("first", "unchanged"):
            result = run_pass(label, server, pairs)
            result["direction"] = direction
            results.append(result)
            print_result(result)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS of this process, sandbox included): {peak_mb:.0f} MB")
    server.stop()
    return 0


def print_result(r: dict) -> None:
    print(
        f"\n{r['direction']} {r['label']}: runs {r['runs']}, added {r['added']}, "
        f"unmatched {r['unmatched']}\n"
        f"  calls {r['calls']} vs floor {r['floor']} (x{r['ratio']}), searches {r['searches']}, "
        f"writes {r['writes']}, YouTube units {r['quota_units']}, DB queries {r['db_queries']}, "
        f"{r['seconds']} s",
        flush=True,
    )
    for endpoint, count in r["by_endpoint"].items():
        print(f"    {endpoint}: {count}")


if __name__ == "__main__":
    sys.exit(main())
