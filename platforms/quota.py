"""The YouTube quota ledger: what was spent today, and what is left for whom.

The daily quota belongs to the deployment's Google Cloud project and is shared by
everybody on it. Every call is recorded (the platform charges failed calls too).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from platforms.models import QuotaLedger, pacific_day

PACIFIC = ZoneInfo("America/Los_Angeles")


def quota_cost(operation: str) -> int:
    return settings.YOUTUBE_QUOTA_COSTS.get(operation, 1)


def quota_record(*, user_id: int | None, units: int, search: bool = False, write: bool = False):
    """Adds spent units to today's row of the person (or of the system)."""
    day = pacific_day()
    updates = {
        "units": F("units") + units,
        "calls": F("calls") + 1,
        "searches": F("searches") + int(search),
        "writes": F("writes") + int(write),
        "updated_at": timezone.now(),
    }
    if QuotaLedger.objects.filter(day=day, user_id=user_id).update(**updates):
        return
    try:
        with transaction.atomic():
            QuotaLedger.objects.create(
                day=day,
                user_id=user_id,
                units=units,
                calls=1,
                searches=int(search),
                writes=int(write),
            )
    except IntegrityError:  # another process created today's row first
        QuotaLedger.objects.filter(day=day, user_id=user_id).update(**updates)
    try:
        from musicsync import metrics

        metrics.quota_spent(units=units)
    except (ImportError, AttributeError):
        pass


def quota_spent_today() -> int:
    return QuotaLedger.objects.filter(day=pacific_day()).aggregate(s=Sum("units"))["s"] or 0


def quota_left_today() -> int:
    return max(0, settings.YOUTUBE_DAILY_QUOTA - quota_spent_today())


def quota_spent_today_by(user_id: int) -> int:
    row = QuotaLedger.objects.filter(day=pacific_day(), user_id=user_id).first()
    return row.units if row else 0


def next_quota_reset(now: datetime | None = None) -> datetime:
    """The next midnight in Pacific time, as an aware UTC datetime."""
    now = now or timezone.now()
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=PACIFIC)
    return midnight.astimezone(ZoneInfo("UTC"))


def quota_fair_share(*, user_id: int, active_user_ids: int) -> int:
    """How many more units this person may spend today so everybody gets a turn.

    Units left today are split evenly among the people with work waiting; what one
    person does not need stays in the pool for the others on the next round.
    """
    left = quota_left_today()
    sharers = max(1, active_user_ids)
    return left // sharers
