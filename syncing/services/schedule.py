"""The scheduler's round: fire due pairs, resume waiting runs, rescue stale ones."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from syncing.models import Run, SyncPair
from syncing.services.recovery import resume_unfinished_work
from syncing.services.retention import retention_prune_if_due
from syncing.services.runs import run_start, runs_resume_due


def schedule_tick(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    fired = 0
    due = SyncPair.objects.filter(enabled=True, next_run_at__lte=now).exclude(
        schedule=SyncPair.Schedule.MANUAL
    )
    for pair in due.select_related("source"):
        next_at = pair.next_run_after(now)
        if next_at is None:
            continue
        # Claimed by a conditional update: two schedulers never fire one pair twice.
        if SyncPair.objects.filter(pk=pair.pk, next_run_at=pair.next_run_at).update(
            next_run_at=next_at
        ):
            run_start(pair=pair, trigger=Run.Trigger.SCHEDULE)
            fired += 1
    resumed = runs_resume_due(now=now)
    rescued = resume_unfinished_work(stale_only=True)
    pruned = retention_prune_if_due(now=now) or {}
    return {
        "fired": fired,
        "resumed": len(resumed),
        "rescued": len(rescued),
        "pruned": pruned.get("keep_rows", 0) + pruned.get("job_records", 0),
    }
