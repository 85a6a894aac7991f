"""The one way to call a platform.

Every Spotify and YouTube request goes through ``platform_call``: it retries what is
worth retrying, honours ``Retry-After`` (a short wait in place, a long one raised for
the run to reschedule), counts every call, charges YouTube quota to the ledger, and
turns every failure into a ``PlatformError``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from platforms.errors import PlatformError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Calls made by this process, by (platform, endpoint): read by benchmarks and tests.
CALL_COUNTS: Counter[tuple[str, str]] = Counter()
_counts_lock = threading.Lock()


def reset_call_counts() -> None:
    with _counts_lock:
        CALL_COUNTS.clear()


def _count(platform: str, endpoint: str, status: int | str) -> None:
    with _counts_lock:
        CALL_COUNTS[(platform, endpoint)] += 1
    try:
        from musicsync import metrics

        metrics.platform_call(platform=platform, endpoint=endpoint, status=status)
    except (ImportError, AttributeError):
        pass


def _backoff(attempt: int) -> float:
    base = settings.PLATFORM_RETRY_BASE_SECONDS
    return base * (2 ** (attempt - 1)) * (0.5 + random.random())


def platform_call(
    fn: Callable[[], T],
    *,
    platform: str,
    endpoint: str,
    translate: Callable[[Exception], PlatformError | None],
    user_id: int | None = None,
    quota_units: int = 0,
    search: bool = False,
    write: bool = False,
    idempotent: bool = True,
) -> T:
    """Calls ``fn`` with retries; returns its result or raises ``PlatformError``.

    A write that is not idempotent (adding an item) is not repeated after an answer
    that leaves its effect unknown (timeout, 5xx): the caller re-reads the target
    instead, so a write that did land is never made twice. A 429 is always safe to
    repeat: the platform refused the request.
    """
    from platforms.quota import quota_record

    attempt = 0
    while True:
        attempt += 1
        status: int | str = 200
        try:
            return fn()
        except Exception as exc:  # translated below; anything unknown is re-raised
            error = translate(exc)
            if error is None:
                status = "error"
                raise
            status = error.status or error.kind
            if error.permanent or error.kind in ("quota", "playlist_full"):
                raise error from exc
            ambiguous = error.kind in ("server", "network")
            if ambiguous and not idempotent:
                raise error from exc
            wait = error.retry_after if error.retry_after is not None else _backoff(attempt)
            if (
                attempt >= settings.PLATFORM_MAX_ATTEMPTS
                or wait > settings.PLATFORM_MAX_INLINE_WAIT
            ):
                raise error from exc
            logger.info(
                "retrying %s %s in %.1fs after %s (attempt %s)",
                platform,
                endpoint,
                wait,
                error,
                attempt,
            )
            time.sleep(wait)
        finally:
            _count(platform, endpoint, status)
            if quota_units:
                quota_record(user_id=user_id, units=quota_units, search=search, write=write)
