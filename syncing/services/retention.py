"""Housekeeping: forget what nobody needs to read any more, a little at a time.

A run stores one "keep" row per song that was already in step, so an hourly pair of
10,000 songs adds 10,000 rows an hour. Once a run is old, those rows say nothing its
``kept`` count does not; its adds, removes and failures stay for good (undo and the
change log need them). The job table of django-dramatiq keeps every message it ran,
with its arguments; finished ones go after a week.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from syncing.models import Run, RunChange

BATCH = 5_000
# A tick of the scheduler spends at most this long pruning; a backlog (the first run
# after an upgrade) goes over the next ticks instead of holding up due pairs.
BUDGET_SECONDS = 10.0
# The scheduler ticks every 30 s; pruning once an hour is plenty.
EVERY_SECONDS = 3_600
_GATE_KEY = "musicsync:retention-ran"


def retention_prune(
    *, now: datetime | None = None, budget_seconds: float = BUDGET_SECONDS
) -> dict[str, int]:
    """Delete old runs' "keep" rows and old finished job records; returns the counts.

    ``done`` is 0 when the time budget ran out before every old row was gone.
    """
    now = now or timezone.now()
    deadline = time.monotonic() + budget_seconds
    before = now - timedelta(days=settings.RUN_KEEP_LOG_DAYS)
    old_keeps = RunChange.objects.filter(
        action=RunChange.Action.KEEP,
        run__status__in=Run.FINISHED,
        run__finished_at__lt=before,
    )
    keep_rows, done = 0, False
    while time.monotonic() < deadline:
        # In batches: one huge DELETE would hold its locks for as long as it runs.
        ids = list(old_keeps.values_list("pk", flat=True)[:BATCH])
        if not ids:
            done = True
            break
        keep_rows += RunChange.objects.filter(pk__in=ids).delete()[0]
    return {
        "keep_rows": keep_rows,
        "job_records": _prune_job_records(now=now),
        "done": int(done),
    }


def _prune_job_records(*, now: datetime) -> int:
    from django_dramatiq.models import DATABASE_LABEL, Task

    finished = (Task.STATUS_DONE, Task.STATUS_FAILED, Task.STATUS_SKIPPED)
    before = now - timedelta(days=settings.JOB_RECORD_DAYS)
    old = Task.tasks.using(DATABASE_LABEL).filter(status__in=finished, updated_at__lt=before)
    return old.delete()[0]


def retention_prune_if_due(*, now: datetime | None = None) -> dict[str, int] | None:
    """``retention_prune`` at most once an hour across every scheduler process."""
    if not cache.add(_GATE_KEY, "1", timeout=EVERY_SECONDS):
        return None
    result = retention_prune(now=now)
    if not result["done"]:
        cache.delete(_GATE_KEY)  # more to do: carry on at the next tick
    return result
