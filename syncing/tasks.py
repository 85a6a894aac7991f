"""Sync jobs. Thin: ids in, one service call."""

from __future__ import annotations

import dramatiq

# A run that a worker took longer than this over is stopped and picked up again later.
RUN_TIME_LIMIT_MS = 60 * 60 * 1000


@dramatiq.actor(queue_name="sync", max_retries=5, time_limit=RUN_TIME_LIMIT_MS)
def execute_run(run_id: int) -> None:
    from syncing.services.runs import run_execute

    run_execute(run_id=run_id)
