"""Firing scheduled pairs and resuming waiting runs.

``tick()`` does one round; the embedded thread and ``manage.py run_scheduler`` call it
in a loop. Claims are conditional updates, so two schedulers never fire a pair twice.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

logger = logging.getLogger(__name__)

TICK_SECONDS = 30
_thread: threading.Thread | None = None


def tick() -> dict[str, int]:
    from syncing.services.schedule import schedule_tick

    return schedule_tick()


def _loop() -> None:
    while True:
        try:
            close_old_connections()
            tick()
        except Exception:  # a bad tick must not kill the scheduler thread
            logger.exception("scheduler tick failed")
        finally:
            close_old_connections()
        time.sleep(TICK_SECONDS)


def start_scheduler_thread() -> None:
    global _thread
    if _thread is not None:
        return
    _thread = threading.Thread(target=_loop, name="musicsync-scheduler", daemon=True)
    _thread.start()
