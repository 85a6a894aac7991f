"""The in-process worker of embedded mode (no Redis): jobs run inside the web process.

At start it also re-enqueues work that was queued or running when the process last
stopped, since the stub broker's queue lived only in that process's memory.
"""

from __future__ import annotations

import logging
import threading

import dramatiq
from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_worker: dramatiq.Worker | None = None


def should_run() -> bool:
    return bool(settings.MUSICSYNC_EMBEDDED_WORKER)


def is_running() -> bool:
    return _worker is not None


def start() -> None:
    global _worker
    if not should_run():
        return
    with _lock:
        if _worker is not None:
            return
        from syncing.services.recovery import resume_unfinished_work

        _worker = dramatiq.Worker(
            dramatiq.get_broker(), worker_threads=settings.MUSICSYNC_WORKER_THREADS
        )
        _worker.start()
        logger.info("in-process worker started with %s threads", settings.MUSICSYNC_WORKER_THREADS)
    resume_unfinished_work()
    from syncing.scheduler import start_scheduler_thread

    start_scheduler_thread()


def stop() -> None:
    global _worker
    with _lock:
        if _worker is not None:
            _worker.stop()
            _worker = None
