from __future__ import annotations

import pytest
from django.db.models import TextField
from django.db.models.functions import Cast

from accounts.models import SealedRecoveryCode, SealedRecoveryDevice, SealedTOTPDevice
from accounts.tests.conftest import log_in

pytestmark = pytest.mark.django_db


def stored_codes(user) -> list[str]:
    # Through the field, which decrypts them.
    return list(SealedRecoveryCode.objects.filter(device__user=user).values_list("code", flat=True))


def test_without_a_device_the_password_alone_logs_in(client, alice):
    response = log_in(client, alice.email)
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200


def test_with_a_device_the_login_asks_for_a_code_before_letting_in(client, alice, alice_2fa):
    response = log_in(client, alice.email)
    assert response.url == "/accounts/login/two-factor/"
    # Not logged in yet: the dashboard still sends them to log in.
    assert client.get("/").status_code == 302
    page = client.get(response.url)
    assert "Enter your code" in page.content.decode()

    response = client.post("/accounts/login/two-factor/", {"code": alice_2fa.code()})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_code_keeps_the_door_shut_and_says_why(client, alice, alice_2fa):
    log_in(client, alice.email)
    response = client.post("/accounts/login/two-factor/", {"code": "000000"})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_right_code_straight_after_a_wrong_one_says_how_long_to_wait(client, alice, alice_2fa):
    log_in(client, alice.email)
    client.post("/accounts/login/two-factor/", {"code": "000000"})
    response = client.post("/accounts/login/two-factor/", {"code": alice_2fa.code()})
    text = response.content.decode()
    assert "Wait 1 second before trying again: each wrong code makes the wait longer." in text
    assert "Too many" not in text  # one wrong code is not many


def test_a_recovery_code_works_once(client, alice, alice_2fa):
    code = alice_2fa.recovery_codes[0]
    log_in(client, alice.email)
    response = client.post("/accounts/login/two-factor/", {"code": code.upper()})
    assert response.url == "/"
    client.post("/accounts/logout/")

    log_in(client, alice.email)
    response = client.post("/accounts/login/two-factor/", {"code": code})
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    assert SealedRecoveryCode.objects.filter(device__user=alice).count() == 9


def test_the_code_page_without_a_login_in_progress_goes_back_to_login(client):
    response = client.get("/accounts/login/two-factor/")
    assert response.url == "/accounts/login/"


def test_cancelling_the_code_step_forgets_the_password_step(client, alice, alice_2fa):
    log_in(client, alice.email)
    response = client.post("/accounts/login/two-factor/", {"cancel": "1"})
    assert response.url == "/accounts/login/"
    assert client.get("/accounts/login/two-factor/").url == "/accounts/login/"


def test_when_two_factor_is_off_on_the_server_devices_are_not_asked_for(
    client, settings, alice, alice_2fa
):
    settings.MUSICSYNC_2FA = "off"
    assert log_in(client, alice.email).url == "/"


def test_a_right_code_straight_after_a_wrong_one_in_set_up_says_to_wait(alice_client, alice):
    from django_otp.oath import totp

    alice_client.get("/settings/two-factor/set-up/")
    device = SealedTOTPDevice.objects.get(user=alice, confirmed=False)
    alice_client.post("/settings/two-factor/set-up/", {"code": "123456"})

    right = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = alice_client.post("/settings/two-factor/set-up/", {"code": right})

    text = response.content.decode()
    assert "Wait 1 second before trying again: each wrong code makes the wait longer." in text
    assert "Too many" not in text
    assert "did not match" not in text


def test_setting_up_totp_shows_a_qr_code_and_needs_a_typed_code(alice_client, alice):
    page = alice_client.get("/settings/two-factor/set-up/").content.decode()
    assert "<svg" in page
    device = SealedTOTPDevice.objects.get(user=alice, confirmed=False)

    response = alice_client.post("/settings/two-factor/set-up/", {"code": "123456"})
    assert "did not match" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    from django_otp.oath import totp

    device.throttle_reset()
    response = alice_client.post(
        "/settings/two-factor/set-up/", {"code": f"{totp(device.bin_key):06d}"}
    )
    assert response.url == "/settings/two-factor/recovery-codes/"
    device.refresh_from_db()
    assert device.confirmed


def test_recovery_codes_are_shown_once(alice_client, alice):
    from django_otp.oath import totp

    alice_client.get("/settings/two-factor/set-up/")
    device = SealedTOTPDevice.objects.get(user=alice)
    alice_client.post("/settings/two-factor/set-up/", {"code": f"{totp(device.bin_key):06d}"})

    first = alice_client.get("/settings/two-factor/recovery-codes/").content.decode()
    codes = stored_codes(alice)
    assert len(codes) == 10
    assert all(code in first for code in codes)

    again = alice_client.get("/settings/two-factor/recovery-codes/").content.decode()
    assert not any(code in again for code in codes)
    assert "10" in again


def test_regenerating_recovery_codes_retires_the_old_ones(alice_client, alice, alice_2fa):
    # force_login skipped the second step: regenerating asks for it first.
    response = alice_client.post("/settings/two-factor/recovery-codes/")
    assert response.url.startswith("/settings/two-factor/verify/")
    alice_client.post("/settings/two-factor/verify/", {"code": alice_2fa.code()})

    response = alice_client.post("/settings/two-factor/recovery-codes/")
    assert response.url == "/settings/two-factor/recovery-codes/"
    new_codes = set(stored_codes(alice))
    assert len(new_codes) == 10
    assert not new_codes & set(alice_2fa.recovery_codes)


def test_turning_two_factor_off_asks_for_a_current_code(alice_client, alice, alice_2fa):
    response = alice_client.post("/settings/two-factor/turn-off/", {"code": "999999"})
    assert response.status_code == 200
    assert SealedTOTPDevice.objects.filter(user=alice).exists()

    SealedTOTPDevice.objects.filter(user=alice).update(throttling_failure_count=0)
    response = alice_client.post("/settings/two-factor/turn-off/", {"code": alice_2fa.code()})
    assert response.url == "/settings/"
    assert not SealedTOTPDevice.objects.filter(user=alice).exists()
    assert not SealedRecoveryCode.objects.filter(device__user=alice).exists()


def test_two_factor_cannot_be_turned_off_where_it_is_required(
    settings, alice_client, alice, alice_2fa
):
    settings.MUSICSYNC_2FA = "required"
    response = alice_client.post("/settings/two-factor/turn-off/", {"code": alice_2fa.code()})
    assert response.url == "/settings/"
    assert SealedTOTPDevice.objects.filter(user=alice).exists()


# --- required mode --------------------------------------------------------------------


def test_required_mode_sends_a_person_without_a_device_to_set_one_up(settings, client, alice):
    settings.MUSICSYNC_2FA = "required"
    response = log_in(client, alice.email)
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url == "/settings/two-factor/set-up/"
    assert client.get("/settings/tokens/").url == "/settings/two-factor/set-up/"
    # The way there, the way out, and the machine endpoints stay open.
    assert client.get("/settings/two-factor/set-up/").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.post("/accounts/logout/").url == "/accounts/login/"


@pytest.mark.urls("accounts.tests.urls")
def test_required_mode_answers_the_api_with_json(settings, alice_client):
    settings.MUSICSYNC_2FA = "required"
    response = alice_client.get("/api/whoami")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_required_mode_lets_a_person_with_a_device_through(settings, alice_client, alice_2fa):
    settings.MUSICSYNC_2FA = "required"
    assert alice_client.get("/settings/").status_code == 200


def test_optional_mode_does_not_push_anyone(alice_client):
    assert alice_client.get("/settings/").status_code == 200


# --- admin ----------------------------------------------------------------------------


@pytest.fixture
def staff_alice(alice):
    alice.is_staff = True
    alice.is_superuser = True
    alice.save()
    return alice


def test_the_admin_sends_strangers_to_the_apps_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response.url)
    assert login.url.startswith("/accounts/login/?next=")


def test_the_admin_needs_the_second_step_where_two_factor_is_on(client, staff_alice, alice_2fa):
    client.force_login(staff_alice)  # password only: an unverified session
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response.url).url.startswith("/settings/two-factor/verify/")

    client.post("/settings/two-factor/verify/", {"code": alice_2fa.code(), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_a_login_through_the_second_step_opens_the_admin(client, staff_alice, alice_2fa):
    log_in(client, staff_alice.email)
    client.post("/accounts/login/two-factor/", {"code": alice_2fa.code()})
    assert client.get("/admin/").status_code == 200


def test_staff_without_a_device_are_sent_to_set_one_up_for_the_admin(client, staff_alice):
    client.force_login(staff_alice)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/settings/two-factor/set-up/"


def test_with_two_factor_off_the_admin_is_open_to_staff(settings, client, staff_alice):
    settings.MUSICSYNC_2FA = "off"
    client.force_login(staff_alice)
    assert client.get("/admin/").status_code == 200


def test_the_admin_lists_the_sealed_devices_only(settings, client, staff_alice):
    settings.MUSICSYNC_2FA = "off"
    client.force_login(staff_alice)

    text = client.get("/admin/").content.decode()

    assert "Authenticator apps" in text and "Recovery codes" in text
    assert "TOTP devices" not in text and "Static devices" not in text


def test_people_who_are_not_staff_never_see_the_admin(client, alice, alice_2fa):
    log_in(client, alice.email)
    client.post("/accounts/login/two-factor/", {"code": alice_2fa.code()})
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "for operators" in response.content.decode()


def test_the_authenticator_secret_is_encrypted_at_rest(alice_client, alice):
    alice_client.get("/settings/two-factor/set-up/")
    device = SealedTOTPDevice.objects.get(user=alice)

    stored = (
        SealedTOTPDevice.objects.annotate(raw=Cast("key", TextField()))
        .values_list("raw", flat=True)
        .get(pk=device.pk)
    )

    assert stored.startswith("fernet:")
    assert device.key not in stored
    assert len(device.bin_key) == 20  # what the app was given, read back through the field


def test_devices_set_up_before_sealing_are_moved_and_still_accept_their_codes(alice):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django_otp.oath import totp
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # As before the migration: django-otp's own table, secret in plain hex.
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0002_api_tokens")])
    TOTPDevice.objects.create(user_id=alice.pk, name="Phone", key="ab" * 20, confirmed=True)
    static = StaticDevice.objects.create(user_id=alice.pk, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd2345")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert not TOTPDevice.objects.exists()
    device = SealedTOTPDevice.objects.get(user=alice)
    assert device.key == "ab" * 20 and device.confirmed
    assert device.verify_token(f"{totp(device.bin_key):06d}")
    assert not StaticDevice.objects.exists()
    recovery = SealedRecoveryDevice.objects.get(user=alice)
    assert recovery.verify_token("abcd2345")
    assert not recovery.verify_token("abcd2345")


def test_recovery_codes_are_encrypted_at_rest(alice, alice_2fa):
    stored = list(
        SealedRecoveryCode.objects.filter(device__user=alice)
        .annotate(raw=Cast("code", TextField()))
        .values_list("raw", flat=True)
    )

    assert len(stored) == 10 and all(raw.startswith("fernet:") for raw in stored)
    assert not any(code in raw for code in alice_2fa.recovery_codes for raw in stored)
    assert sorted(stored_codes(alice)) == sorted(alice_2fa.recovery_codes)
