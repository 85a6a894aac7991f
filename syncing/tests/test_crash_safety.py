"""Crashes, duplicates and real workers: the target ends exactly as planned, with no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from platforms.models import Collection
from syncing.models import Run, RunChange
from syncing.services.pairs import pair_create
from syncing.services.recovery import resume_unfinished_work
from syncing.services.runs import run_execute, run_start
from syncing.tests.sandbox_views import youtube_playlist_ids

ROOT = Path(__file__).resolve().parents[2]


def big_spotify_playlist(user) -> Collection:
    return (
        Collection.objects.filter(
            connection__user=user, connection__platform="spotify", kind="playlist", editable=True
        )
        .order_by("-item_count")
        .first()
    )


def wait_for(predicate, timeout=60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.smoke
def test_a_run_started_in_a_request_finishes_on_a_real_worker(library, platform_settings, worker):
    pair = pair_create(
        user=library,
        source=big_spotify_playlist(library),
        target=None,
        target_platform="youtube",
        target_name="Worker",
        mode="add_only",
    )
    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL)

    assert wait_for(lambda: Run.objects.get(pk=run.pk).status in Run.FINISHED, timeout=120)
    run.refresh_from_db()
    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    pair.refresh_from_db()
    remote = youtube_playlist_ids(platform_settings, pair.target.platform_id)
    assert len(remote) == len(set(remote)) == run.added > 0


@pytest.mark.postgres
def test_a_worker_killed_mid_run_is_resumed_without_duplicates_or_losses(
    library, platform_settings, settings
):
    sandbox = platform_settings
    pair = pair_create(
        user=library,
        source=big_spotify_playlist(library),
        target=None,
        target_platform="youtube",
        target_name="Killed",
        mode="add_only",
    )
    # Plan first (searches are cached), so the killed worker spends its time writing.
    preview = run_execute(run_id=run_start(pair=pair, trigger="manual", dry_run=True).pk)
    assert preview.added >= 20
    run = run_start(pair=pair, trigger=Run.Trigger.MANUAL)
    sandbox.state.knobs.update(latency_ms={"youtube.playlistItems.insert": 150})

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "musicsync.settings",
        "MUSICSYNC_TESTING": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "MUSICSYNC_SANDBOX": "true",
        "SANDBOX_URL": sandbox.url,
        "SPOTIFY_ACCOUNTS_URL": settings.SPOTIFY_ACCOUNTS_URL,
        "SPOTIFY_API_URL": settings.SPOTIFY_API_URL,
        "GOOGLE_OAUTH_URL": settings.GOOGLE_OAUTH_URL,
        "YOUTUBE_API_URL": settings.YOUTUBE_API_URL,
        "GOOGLE_TOKEN_URL": settings.GOOGLE_TOKEN_URL,
        "YOUTUBE_DAILY_QUOTA": str(settings.YOUTUBE_DAILY_QUOTA),
    }
    code = (
        "import django; django.setup(); "
        "from syncing.services.runs import run_execute; "
        f"run_execute(run_id={run.pk})"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        landed = lambda: RunChange.objects.filter(run=run, action="add", outcome="applied").count()  # noqa: E731
        assert wait_for(lambda: landed() >= 5, timeout=60), "the worker never started writing"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING  # as the dead worker left it
    assert landed() < preview.added, "the worker finished before it was killed"
    sandbox.state.knobs.update(latency_ms={})
    # A request the dead worker had in flight may still land; a run is rescued only after
    # RUN_STALE_AFTER_SECONDS (minutes), far longer than any request takes. Here: a second.
    time.sleep(1)

    # Its heartbeat goes stale; the scheduler's rescue re-enqueues it; a worker resumes it.
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert run.pk in resume_unfinished_work(stale_only=True)
    run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), run.error
    pair.refresh_from_db()
    remote = youtube_playlist_ids(sandbox, pair.target.platform_id)
    planned = set(
        RunChange.objects.filter(run=run, action="add").values_list(
            "counterpart__platform_id", flat=True
        )
    )
    from collections import Counter

    twice = [v for v, n in Counter(remote).items() if n > 1]
    detail = list(
        RunChange.objects.filter(run=run, counterpart__platform_id__in=twice).values_list(
            "seq", "action", "outcome", "entry_id", "item__title"
        )
    )
    assert not twice, f"inserted twice: {twice} {detail}"
    assert set(remote) == planned, "an item was lost or an extra one appeared"
    assert run.added == preview.added
