"""Helpers for the fault tests: a real library, a plan made first, and the final verdict.

Each fault test plans a sync with a dry run first (so the searches are cached and the
fault hits the writes), breaks something while the real run writes, lets the run go on
as production would (waiting, then resumed), and then compares what the sandbox holds
with the stored plan: every planned item once, nothing else.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from platforms.models import Collection
from platforms.services import library_import
from syncing.models import Run, RunChange, SyncPair
from syncing.services.pairs import pair_create
from syncing.services.runs import run_execute, run_start, runs_resume_due
from syncing.tests.sandbox_views import spotify_playlist_ids, youtube_playlist_ids


@pytest.fixture
def library(alice_connected):
    library_import(connection_id=alice_connected.spotify.pk)
    library_import(connection_id=alice_connected.youtube.pk)
    return alice_connected


def playlist(user, platform: str, *, largest: bool = False, min_items: int = 5) -> Collection:
    found = Collection.objects.filter(
        connection__user=user,
        connection__platform=platform,
        kind="playlist",
        editable=True,
        item_count__gte=min_items,
    ).order_by("-item_count" if largest else "item_count")
    return found.first()


def new_pair(user, *, source_platform: str = "spotify", name: str, min_items: int = 5) -> SyncPair:
    target_platform = "youtube" if source_platform == "spotify" else "spotify"
    return pair_create(
        user=user,
        source=playlist(user, source_platform, min_items=min_items),
        target=None,
        target_platform=target_platform,
        target_name=name,
        mode="add_only",
    )


def planned_adds(pair: SyncPair) -> int:
    """Plans the pair with a dry run (searches get cached); the number of items to add."""
    preview = run_execute(run_id=run_start(pair=pair, trigger=Run.Trigger.MANUAL, dry_run=True).pk)
    # Partial when some songs have no match: the plan itself was made.
    assert preview.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), preview.error
    return preview.added


def drive(run: Run, *, rounds: int = 8) -> tuple[Run, list[str]]:
    """Executes the run, and resumes it each time it waits, as the scheduler would.

    Returns the run and the states it passed through ("waiting:retry", "succeeded", ...).
    """
    seen: list[str] = []
    for _ in range(rounds):
        run_execute(run_id=run.pk)
        run.refresh_from_db()
        if run.status != Run.Status.WAITING:
            seen.append(run.status)
            return run, seen
        seen.append(f"waiting:{run.wait_reason}")
        assert run.wait_reason in (Run.WaitReason.RETRY, Run.WaitReason.RATE_LIMIT), run.error
        assert run.resume_at is not None and run.resume_at > timezone.now() - timedelta(seconds=5)
        assert run.pk in runs_resume_due(now=run.resume_at + timedelta(seconds=1))
    raise AssertionError(f"the run was still waiting after {rounds} rounds: {seen}")


def target_ids(sandbox, pair: SyncPair) -> list[str]:
    pair.refresh_from_db()
    if pair.target_platform == "youtube":
        return youtube_playlist_ids(sandbox, pair.target.platform_id)
    return spotify_playlist_ids(sandbox, pair.target.platform_id)


def assert_target_is_exactly_the_plan(sandbox, run: Run, expected_adds: int) -> None:
    """The new target holds each planned item once: nothing lost, nothing twice."""
    run.refresh_from_db()
    assert run.status in (Run.Status.SUCCEEDED, Run.Status.PARTIAL), (run.status, run.error)
    assert run.failed == 0, run.error
    remote = target_ids(sandbox, run.pair)
    twice = [item for item, n in Counter(remote).items() if n > 1]
    assert not twice, f"added twice: {twice}"
    planned = set(
        RunChange.objects.filter(run=run, action="add").values_list(
            "counterpart__platform_id", flat=True
        )
    )
    assert set(remote) == planned, "an item was lost or an extra one appeared"
    assert run.added == len(remote) == expected_adds
    assert not RunChange.objects.filter(run=run, action="add", outcome="planned").exists()


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def applied_adds(run: Run) -> int:
    return RunChange.objects.filter(run=run, action="add", outcome="applied").count()
