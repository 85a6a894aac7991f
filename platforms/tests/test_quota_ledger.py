"""The quota ledger keeps every unit spent, even when the database is busy."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from platforms import quota
from platforms.models import QuotaLedger

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
