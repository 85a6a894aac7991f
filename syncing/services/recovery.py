"""Picking up work that a stopped or killed process left unfinished."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from syncing.models import Run

logger = logging.getLogger(__name__)


def resume_unfinished_work(*, stale_only: bool = False) -> list[int]:
    """Enqueue again every run that was queued or running and whose worker is gone.

    At the start of an embedded process every running run is orphaned (its worker was
    this process's predecessor); elsewhere only runs whose heartbeat went stale are.
    Returns the ids re-enqueued.
    """
    from syncing.tasks import execute_run

    now = timezone.now()
    resumed: list[int] = []
    for run in Run.objects.filter(status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).only(
        "id", "status", "heartbeat_at", "started_at", "created_at"
    ):
        if stale_only and not run.is_stale(now):
            continue
        if run.status == Run.Status.RUNNING:
            # Conditional, so two recoverers never both take the same run.
            if not Run.objects.filter(id=run.id, status=Run.Status.RUNNING).update(
                status=Run.Status.QUEUED, claimed_by=""
            ):
                continue
        resumed.append(run.id)
        transaction.on_commit(lambda run_id=run.id: execute_run.send(run_id))
    if resumed:
        logger.info("re-enqueued unfinished runs %s", resumed)
    _resume_imports()
    return resumed


def _resume_imports() -> None:
    from platforms.models import Connection

    try:
        from platforms.tasks import import_library
    except ImportError:  # the import job arrives with the connections work
        return
    for conn_id in Connection.objects.filter(
        import_status__in=[Connection.ImportStatus.QUEUED, Connection.ImportStatus.RUNNING]
    ).values_list("id", flat=True):
        transaction.on_commit(lambda cid=conn_id: import_library.send(cid))
