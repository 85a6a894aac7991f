"""The quota ledger keeps every unit spent, even when the database is busy, and YouTube's no."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from platforms import quota
from platforms.clients import client_for
from platforms.errors import QuotaExhausted
from platforms.models import QuotaLedger, pacific_day

pytestmark = pytest.mark.django_db


def test_units_spent_while_the_ledger_cannot_be_written_are_written_later(alice, monkeypatch):
    quota.quota_flush()
    real_add = quota._add

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(quota, "_add", locked)
    quota.quota_record(user_id=alice.pk, units=50, write=True)
    quota.quota_record(user_id=alice.pk, units=1)
    quota.quota_flush()  # fails inside, and says nothing to the caller

    assert not QuotaLedger.objects.filter(user=alice).exists()
    monkeypatch.setattr(quota, "_add", real_add)
    spent = quota.quota_spent_today()

    row = QuotaLedger.objects.get(user=alice)
    assert (row.units, row.calls, row.writes) == (51, 2, 1)
    assert spent >= 51


@override_settings(YOUTUBE_DAILY_QUOTA=10_000)
def test_after_youtube_refuses_a_call_no_process_has_quota_left_until_the_pacific_reset(alice):
    quota.quota_record(user_id=alice.pk, units=50, write=True)
    quota.quota_refused(at=timezone.now() - timedelta(days=1))  # yesterday's is over
    assert quota.quota_left_today() == 9_950

    quota.quota_refused()
    assert quota.quota_left_today() == 0
    quota._cached_left = None  # as another worker, with no reading of its own, sees it
    assert quota.quota_left_today() == 0
    assert quota.quota_spent_today() == 50  # what was spent stays as it was

    quota.quota_refused()  # a second refusal the same day is the same fact
    assert QuotaLedger.objects.filter(day=pacific_day(), user=None).count() == 1


def test_after_youtube_refuses_for_quota_no_call_is_sent_until_the_reset(
    alice_connected, platform_settings, settings, monkeypatch
):
    sandbox = platform_settings
    settings.YOUTUBE_DAILY_QUOTA = 10_000
    sandbox.state.knobs.update(youtube_daily_quota=10_000)
    youtube = client_for(alice_connected.youtube)
    youtube.list_playlists()  # a read goes through while there is quota
    # The Google project, used elsewhere too, spends the rest of the day's quota.
    requests.post(
        f"{sandbox.url}/_control/youtube/quota", json={"used": 10_000}, timeout=5
    ).raise_for_status()
    with pytest.raises(QuotaExhausted):
        youtube.list_playlists()  # YouTube answers quotaExceeded
    sent = sandbox.state.counters.snapshot()["calls"]

    for read in (youtube.list_playlists, youtube.list_liked, youtube.account):
        with pytest.raises(QuotaExhausted) as refused:
            read()
        assert refused.value.resume_at == quota.next_quota_reset()
    assert sandbox.state.counters.snapshot()["calls"] == sent  # none of them reached YouTube

    # The next Pacific day starts in full: calls go out again.
    sandbox.state.clock.advance(24 * 3600)
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=1))
    assert youtube.list_playlists() is not None
