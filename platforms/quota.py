"""The YouTube quota ledger: what was spent today, and what is left for whom.

The daily quota belongs to the deployment's Google Cloud project and is shared by
everybody on it. Every call is recorded (the platform charges failed calls too).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from platforms.models import QuotaLedger, pacific_day

PACIFIC = ZoneInfo("America/Los_Angeles")
logger = logging.getLogger(__name__)


def quota_cost(operation: str) -> int:
    return settings.YOUTUBE_QUOTA_COSTS.get(operation, 1)


# Units are added up in memory and written every FLUSH_EVERY calls or FLUSH_SECONDS,
# so a sync does not pay a query per YouTube call; readers of the ledger flush first.
FLUSH_EVERY = 50
FLUSH_SECONDS = 2.0
_pending: dict[tuple, list[int]] = {}
_pending_calls = 0
_last_flush = time.monotonic()
_lock = threading.Lock()


def quota_record(*, user_id: int | None, units: int, search: bool = False, write: bool = False):
    """Adds spent units to today's row of the person (or of the system)."""
    global _pending_calls
    with _lock:
        row = _pending.setdefault((pacific_day(), user_id), [0, 0, 0, 0])
        row[0] += units
        row[1] += 1
        row[2] += int(search)
        row[3] += int(write)
        _pending_calls += 1
        due = _pending_calls >= FLUSH_EVERY or time.monotonic() - _last_flush > FLUSH_SECONDS
    if due:
        quota_flush()
    try:
        from musicsync import metrics

        metrics.quota_spent(units=units)
    except (ImportError, AttributeError):
        pass


def quota_flush() -> None:
    """Writes what this process spent since the last flush."""
    global _pending_calls, _last_flush, _cached_left
    with _lock:
        pending = dict(_pending)
        _pending.clear()
        _pending_calls = 0
        _last_flush = time.monotonic()
    for (day, user_id), row in pending.items():
        units, calls, searches, writes = row
        try:
            with transaction.atomic():  # a savepoint: a caller's transaction stays usable
                _add(
                    day=day, user_id=user_id, units=units, calls=calls, searches=searches,
                    writes=writes,
                )  # fmt: skip
        except DatabaseError as exc:
            # A busy or lost database (SQLite's "database is locked") must not lose what
            # was spent: the units go back and the next flush writes them. Raising here
            # would also turn the platform call that recorded them into a failure.
            logger.warning("could not write the quota ledger, keeping it for later: %s", exc)
            with _lock:
                kept = _pending.setdefault((day, user_id), [0, 0, 0, 0])
                for i, value in enumerate(row):
                    kept[i] += value
            continue
        if _cached_left is not None:  # now in the ledger, no longer "unflushed"
            _cached_left = _cached_left._replace(left=_cached_left.left - units)


def _add(*, day, user_id, units, calls, searches, writes) -> None:
    updates = {
        "units": F("units") + units,
        "calls": F("calls") + calls,
        "searches": F("searches") + searches,
        "writes": F("writes") + writes,
        "updated_at": timezone.now(),
    }
    if QuotaLedger.objects.filter(day=day, user_id=user_id).update(**updates):
        return
    try:
        with transaction.atomic():
            QuotaLedger.objects.create(
                day=day, user_id=user_id, units=units, calls=calls, searches=searches, writes=writes
            )
    except IntegrityError:  # another process created today's row first
        QuotaLedger.objects.filter(day=day, user_id=user_id).update(**updates)


def quota_spent_today() -> int:
    return _today()[0]


def _today() -> tuple[int, bool]:
    """Units the ledger holds for today, and whether YouTube has refused a call today."""
    quota_flush()
    today = QuotaLedger.objects.filter(day=pacific_day()).aggregate(
        units=Sum("units"), refused=Max("refused_at")
    )
    return today["units"] or 0, today["refused"] is not None


def quota_refused(*, at: datetime | None = None) -> None:
    """Records that YouTube answered quotaExceeded: nothing is left until the reset.

    The quota belongs to the Google Cloud project, which may spend it elsewhere too, so
    YouTube's word beats the ledger's count. It goes on the day's system row, which
    every process reads; the next Pacific day has no such row and starts in full.
    """
    global _cached_left
    at = at or timezone.now()
    day = pacific_day(at)
    try:
        with transaction.atomic():  # a savepoint: a caller's transaction stays usable
            _refuse(day=day, at=at)
    except DatabaseError as exc:
        # The next call YouTube refuses records it again; the run waits either way.
        logger.warning("could not record YouTube's quota refusal: %s", exc)
    if day == pacific_day():
        _cached_left = _Reading(time.monotonic(), day, 0, refused=True)


def _refuse(*, day, at: datetime) -> None:
    rows = QuotaLedger.objects.filter(day=day, user=None)
    if rows.update(refused_at=at, updated_at=timezone.now()):
        return
    try:
        with transaction.atomic():
            QuotaLedger.objects.create(day=day, user=None, refused_at=at)
    except IntegrityError:  # another process created today's system row first
        rows.update(refused_at=at, updated_at=timezone.now())


class _Reading(NamedTuple):
    """This process's last look at today's quota."""

    at: float  # time.monotonic() when it was read
    day: date  # the Pacific day it is about: a reading never outlives its day
    left: int
    refused: bool


_cached_left: _Reading | None = None


def quota_left_today(*, max_age: float = 0.0) -> int:
    """Units left today for the whole deployment: none once YouTube has refused one.

    With ``max_age``, a reading at most that old is reused, less what this process has
    spent since: cheap enough to check before every call.
    """
    return quota_today(max_age=max_age)[0]


def quota_today(*, max_age: float = 0.0) -> tuple[int, bool]:
    """Units left today, and whether YouTube has answered quotaExceeded today (then it
    refuses every call, reads included, until the Pacific midnight reset).

    ``max_age`` as for ``quota_left_today``.
    """
    global _cached_left
    reading = _cached_left
    if (
        max_age
        and reading is not None
        and time.monotonic() - reading.at <= max_age
        and reading.day == pacific_day()
    ):
        with _lock:
            unflushed = sum(row[0] for row in _pending.values())
        return max(0, reading.left - unflushed), reading.refused
    day = pacific_day()
    spent, refused = _today()
    left = 0 if refused else max(0, settings.YOUTUBE_DAILY_QUOTA - spent)
    _cached_left = _Reading(time.monotonic(), day, left, refused)
    return left, refused


def quota_spent_today_by(user_id: int) -> int:
    quota_flush()
    row = QuotaLedger.objects.filter(day=pacific_day(), user_id=user_id).first()
    return row.units if row else 0


def next_quota_reset(now: datetime | None = None) -> datetime:
    """The next midnight in Pacific time, as an aware UTC datetime."""
    now = now or timezone.now()
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), clock_time(0, 0), tzinfo=PACIFIC)
    return midnight.astimezone(ZoneInfo("UTC"))


def quota_fair_share(*, user_id: int, active_user_ids: int) -> int:
    """How many more units this person may spend today so everybody gets a turn.

    Units left today are split evenly among the people with work waiting; what one
    person does not need stays in the pool for the others on the next round.
    """
    left = quota_left_today()
    sharers = max(1, active_user_ids)
    return left // sharers
