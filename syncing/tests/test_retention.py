"""Housekeeping: old runs forget the songs that were already in step, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_dramatiq.models import Task

from platforms.tests import library_builders as build
from syncing.models import Run, RunChange
from syncing.services.retention import retention_prune, retention_prune_if_due
from syncing.services.schedule import schedule_tick

pytestmark = pytest.mark.django_db

A_LONG_TIME_AGO = timedelta(days=45)


def run_with_log(pair, *, age: timedelta, status: str = Run.Status.SUCCEEDED) -> Run:
    """A run of ``age`` that kept two songs, added one and failed to add another."""
    finished = timezone.now() - age
    run = build.run(pair, status=status, finished_at=finished, kept=2, added=1, failed=1)
    actions = [
        (RunChange.Action.KEEP, RunChange.Outcome.SKIPPED),
        (RunChange.Action.KEEP, RunChange.Outcome.SKIPPED),
        (RunChange.Action.ADD, RunChange.Outcome.APPLIED),
        (RunChange.Action.ADD, RunChange.Outcome.FAILED),
    ]
    for seq, (action, outcome) in enumerate(actions):
        RunChange.objects.create(
            run=run, seq=seq, action=action, outcome=outcome,
            item=build.track("spotify", n=1000 * run.pk + seq),
        )  # fmt: skip
    return run


def logged_actions(run: Run) -> list[str]:
    return sorted(run.changes.values_list("action", flat=True))


@pytest.fixture
def pair(alice):
    spotify, _ = build.two_connected(alice)
    return build.pair(alice, build.playlist(spotify, "Road trip"))


def test_an_old_run_forgets_its_kept_songs_but_not_its_adds_or_failures(pair):
    old = run_with_log(pair, age=A_LONG_TIME_AGO)

    pruned = retention_prune()

    assert pruned["keep_rows"] == 2
    assert logged_actions(old) == ["add", "add"]
    old.refresh_from_db()
    assert old.kept == 2


def test_recent_and_unfinished_runs_keep_their_whole_log(pair):
    recent = run_with_log(pair, age=timedelta(days=3))
    running = run_with_log(pair, age=A_LONG_TIME_AGO, status=Run.Status.RUNNING)

    assert retention_prune()["keep_rows"] == 0
    assert logged_actions(recent) == ["add", "add", "keep", "keep"]
    assert logged_actions(running) == ["add", "add", "keep", "keep"]


def test_old_finished_job_records_go_and_waiting_ones_stay(db):
    def record(message_id: str, status: str, age: timedelta) -> None:
        Task.tasks.create(id=message_id, status=status, message_data=b"{}")
        Task.tasks.filter(id=message_id).update(updated_at=timezone.now() - age)

    record("00000000-0000-0000-0000-000000000001", Task.STATUS_DONE, timedelta(days=10))
    record("00000000-0000-0000-0000-000000000002", Task.STATUS_FAILED, timedelta(days=10))
    record("00000000-0000-0000-0000-000000000003", Task.STATUS_DONE, timedelta(days=1))
    record("00000000-0000-0000-0000-000000000004", Task.STATUS_DELAYED, timedelta(days=10))

    assert retention_prune()["job_records"] == 2
    assert sorted(Task.tasks.values_list("status", flat=True)) == ["delayed", "done"]


def test_the_scheduler_prunes_at_most_once_an_hour(pair):
    run_with_log(pair, age=A_LONG_TIME_AGO)

    assert schedule_tick()["pruned"] == 2
    run_with_log(pair, age=A_LONG_TIME_AGO)
    assert retention_prune_if_due() is None
    assert schedule_tick()["pruned"] == 0


def test_the_run_page_says_why_the_kept_songs_are_no_longer_listed(pair, alice_client):
    old = run_with_log(pair, age=A_LONG_TIME_AGO)
    page = alice_client.get(reverse("syncing:run", args=[old.pk])).content.decode()
    assert "no longer listed" not in page

    retention_prune()

    page = alice_client.get(reverse("syncing:run", args=[old.pk])).content.decode()
    assert "2 songs already in step are no longer listed" in page
    assert "for 30 days" in page


def test_a_backlog_is_pruned_over_several_ticks_within_a_time_budget(pair):
    old = run_with_log(pair, age=A_LONG_TIME_AGO)

    out_of_time = retention_prune(budget_seconds=0)
    assert out_of_time["keep_rows"] == 0 and out_of_time["done"] == 0
    assert logged_actions(old) == ["add", "add", "keep", "keep"]

    finished = retention_prune()
    assert finished["keep_rows"] == 2 and finished["done"] == 1
