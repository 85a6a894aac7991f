"""Platform jobs. Thin: ids in, one service call."""

from __future__ import annotations

import dramatiq

IMPORT_TIME_LIMIT_MS = 30 * 60 * 1000


@dramatiq.actor(queue_name="imports", max_retries=3, time_limit=IMPORT_TIME_LIMIT_MS)
def import_library(connection_id: int) -> None:
    from platforms.services import library_import

    library_import(connection_id=connection_id)
