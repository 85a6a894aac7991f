"""Operators in the admin: find a person, see their things, run, cancel, reset, unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from platforms.models import Connection, QuotaLedger, pacific_day
from platforms.quota import quota_refused
from platforms.tests import library_builders as build
from syncing.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, django_user_model, settings):
    # Two-factor has its own tests; here the admin is open to staff.
    settings.MUSICSYNC_2FA = "off"
    staff = django_user_model.objects.create_superuser(
        email="ops@example.com", password="operator password 42"
    )
    client.force_login(staff)
    return client


@pytest.fixture
def alices_pair(alice):
    spotify, youtube = build.two_connected(alice)
    Connection.objects.filter(pk=spotify.pk).update(
        access_token="SECRET-ACCESS-TOKEN", refresh_token="SECRET-REFRESH-TOKEN"
    )
    return build.pair(alice, build.playlist(spotify, "Road trip"))


def _text(response) -> str:
    return response.content.decode()


def test_a_persons_page_shows_connections_pairs_and_runs_with_errors_but_no_tokens(
    operator, alice, alices_pair
):
    build.run(alices_pair, status=Run.Status.FAILED, error="Spotify said 403 on the playlist")

    text = _text(operator.get(reverse("admin:accounts_user_change", args=[alice.pk])))

    assert "Needs reconnect" not in text and "Active" in text
    assert "Road trip" in text
    assert "Spotify said 403 on the playlist" in text
    assert "SECRET-ACCESS-TOKEN" not in text and "SECRET-REFRESH-TOKEN" not in text


def test_the_connection_page_never_shows_tokens(operator, alices_pair):
    spotify = alices_pair.source.connection

    text = _text(operator.get(reverse("admin:platforms_connection_change", args=[spotify.pk])))

    assert "SECRET-ACCESS-TOKEN" not in text and "SECRET-REFRESH-TOKEN" not in text
    assert "access_token" not in text


def test_run_now_queues_a_run_of_the_pair(operator, alices_pair):
    response = operator.post(
        reverse("admin:syncing_syncpair_changelist"),
        {"action": "run_now", "_selected_action": [alices_pair.pk]},
        follow=True,
    )

    run = Run.objects.get(pair=alices_pair)
    assert run.status == Run.Status.QUEUED
    assert f"#{run.pk}" in _text(response)


def test_cancel_ends_an_active_run(operator, alices_pair):
    run = build.run(alices_pair, status=Run.Status.RUNNING)

    operator.post(
        reverse("admin:syncing_run_changelist"),
        {"action": "cancel_runs", "_selected_action": [run.pk]},
    )

    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED


def test_reset_marks_a_connection_as_needing_reconnect(operator, alices_pair):
    spotify = alices_pair.source.connection

    response = operator.post(
        reverse("admin:platforms_connection_changelist"),
        {"action": "reset_to_needs_reconnect", "_selected_action": [spotify.pk]},
        follow=True,
    )

    spotify.refresh_from_db()
    assert spotify.state == Connection.State.NEEDS_RECONNECT
    assert spotify.state_reason == "reset by an operator"
    assert "1 connection(s) now need a reconnect" in _text(response)


def test_clearing_a_stale_lock_ends_a_dead_run_so_the_pair_can_run_again(operator, alices_pair):
    long_ago = timezone.now() - timedelta(hours=2)
    stale = build.run(
        alices_pair, status=Run.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )

    response = operator.post(
        reverse("admin:syncing_run_changelist"),
        {"action": "clear_stale_locks", "_selected_action": [stale.pk]},
        follow=True,
    )

    stale.refresh_from_db()
    assert stale.status == Run.Status.FAILED and "operator" in stale.error
    assert "Cleared 1 stale run(s)" in _text(response)
    assert build.run(alices_pair, status=Run.Status.QUEUED).pk


def test_a_live_run_is_not_cleared_as_stale(operator, alices_pair):
    alive = build.run(alices_pair, status=Run.Status.RUNNING, heartbeat_at=timezone.now())

    operator.post(
        reverse("admin:syncing_run_changelist"),
        {"action": "clear_stale_locks", "_selected_action": [alive.pk]},
    )

    alive.refresh_from_db()
    assert alive.status == Run.Status.RUNNING


def test_the_run_list_filters_by_status_and_platform(operator, alice, alices_pair):
    youtube = alices_pair.source.connection.user.connections.get(platform="youtube")
    back = build.pair(alice, build.playlist(youtube, "Videos back"))
    build.run(alices_pair, status=Run.Status.FAILED)
    build.run(back, status=Run.Status.SUCCEEDED)
    url = reverse("admin:syncing_run_changelist")

    failed = _text(operator.get(url, {"status__exact": "failed"}))
    to_spotify = _text(operator.get(url, {"platform": "spotify"}))

    assert "Road trip" in failed and "Videos back" not in failed
    assert "Videos back" in to_spotify and "Road trip" not in to_spotify


def test_the_quota_ledger_shows_totals_per_day(operator, alice, bob):
    today = pacific_day()
    QuotaLedger.objects.create(day=today, user=alice, units=2500, calls=40, writes=45)
    QuotaLedger.objects.create(day=today, user=bob, units=500, calls=10, searches=5)

    text = _text(operator.get(reverse("admin:platforms_quotaledger_changelist")))

    assert "YouTube quota per Pacific day" in text
    assert "3,000" in text and "7,000" in text and "30%" in text


def test_the_quota_ledger_shows_nothing_left_on_a_day_youtube_refused_a_call(operator, alice):
    QuotaLedger.objects.create(day=pacific_day(), user=alice, units=2500, calls=40, writes=45)
    quota_refused()

    text = _text(operator.get(reverse("admin:platforms_quotaledger_changelist")))

    assert "7,500" not in text
    assert "<td>0 (YouTube refused a call at" in text


def test_operators_see_a_persons_authenticator_but_never_its_secret(operator, alice):
    from accounts.models import SealedTOTPDevice

    device = SealedTOTPDevice.objects.create(user=alice, name="Phone", confirmed=True)

    listing = _text(operator.get(reverse("admin:accounts_sealedtotpdevice_changelist")))
    page = _text(operator.get(reverse("admin:accounts_sealedtotpdevice_change", args=[device.pk])))

    assert "Phone" in listing and alice.email in listing
    assert device.key not in listing and device.key not in page
    assert operator.get(reverse("admin:accounts_sealedtotpdevice_add")).status_code == 403


def test_operators_see_how_many_recovery_codes_are_left_but_never_the_codes(operator, alice):
    from accounts.models import SealedRecoveryDevice
    from accounts.services import recovery_codes_regenerate

    codes = recovery_codes_regenerate(user=alice)
    device = SealedRecoveryDevice.objects.get(user=alice)

    listing = _text(operator.get(reverse("admin:accounts_sealedrecoverydevice_changelist")))
    change = reverse("admin:accounts_sealedrecoverydevice_change", args=[device.pk])
    page = _text(operator.get(change))

    assert alice.email in listing and ">10<" in listing
    assert not any(code in listing or code in page for code in codes)
