from __future__ import annotations

import pytest
from django.core import mail

from accounts.ratelimits import describe_wait
from accounts.tests.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_limits(settings, monkeypatch):
    # django-ratelimit counts in fixed windows: a test that crosses a window's end would
    # see its count start again. Its clock stands still for the test.
    import time
    from types import SimpleNamespace

    import django_ratelimit.core

    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
    settings.MUSICSYNC_RATE_LIMITS = {
        **settings.MUSICSYNC_RATE_LIMITS,
        "login-ip": "5/10m",
        "login-account": "3/10m",
        "password-reset-ip": "5/h",
        "password-reset-account": "2/h",
        "signup-ip": "2/h",
        "two-factor-session": "3/10m",
        "api": "2/m",
    }
    return settings.MUSICSYNC_RATE_LIMITS


def test_the_attempt_after_the_limit_gets_429_with_when_to_retry(client, alice, tight_limits):
    for _ in range(3):
        response = log_in(client, alice.email, "wrong password")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()

    response = log_in(client, alice.email, "wrong password")

    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 600
    page = response.content.decode()
    assert "Too many attempts" in page
    assert f"Try again in {describe_wait(retry_after)}" in page
    assert "Traceback" not in page


def test_a_limited_account_stays_limited_even_with_the_right_password(client, alice, tight_limits):
    for _ in range(3):
        log_in(client, alice.email, "wrong password")
    assert log_in(client, alice.email).status_code == 429


def test_logging_in_and_out_more_often_than_the_limit_is_never_refused(client, alice, tight_limits):
    for _ in range(6):  # the account's limit is 3
        assert log_in(client, alice.email).status_code == 302
        assert client.get("/").status_code == 200
        client.post("/accounts/logout/")


def test_people_who_share_an_address_are_not_refused_for_logging_in(
    client, alice, bob, charlie, tight_limits
):
    for person in [alice, bob, charlie] * 2:  # the address's limit is 5
        assert log_in(client, person.email).status_code == 302
        client.post("/accounts/logout/")


def test_reaching_the_code_step_is_not_a_failed_log_in(client, alice, alice_2fa, tight_limits):
    for _ in range(6):
        response = log_in(client, alice.email)
        assert response.status_code == 302
        assert response.url == "/accounts/login/two-factor/"
        client.post("/accounts/login/two-factor/", {"cancel": "1"})


def test_failed_log_ins_count_after_right_ones(client, alice, tight_limits):
    for _ in range(2):
        log_in(client, alice.email)
        client.post("/accounts/logout/")
    for _ in range(3):
        assert log_in(client, alice.email, "wrong").status_code == 200
    assert log_in(client, alice.email, "wrong").status_code == 429
    assert log_in(client, alice.email).status_code == 429


def test_the_account_limit_follows_the_account_across_addresses(client, alice, tight_limits):
    for n in range(3):
        log_in(client, alice.email, "wrong", REMOTE_ADDR=f"10.0.0.{n}")
    # Case does not dodge it either.
    response = log_in(client, alice.email.upper(), "wrong", REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429


def test_the_ip_limit_covers_guesses_at_many_accounts(client, tight_limits):
    for n in range(5):
        assert log_in(client, f"person{n}@example.com", "wrong").status_code == 200
    assert log_in(client, "person9@example.com", "wrong").status_code == 429
    # Another address is not affected.
    assert log_in(client, "person9@example.com", "wrong", REMOTE_ADDR="10.9.9.9").status_code == 200


def test_another_person_is_not_limited_by_someone_elses_attempts(client, alice, bob, tight_limits):
    for _ in range(3):
        log_in(client, alice.email, "wrong", REMOTE_ADDR="10.0.0.1")
    assert log_in(client, bob.email, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_viewing_the_login_page_is_not_an_attempt(client, tight_limits):
    for _ in range(10):
        assert client.get("/accounts/login/").status_code == 200


def test_password_reset_requests_are_limited_per_account(client, alice, tight_limits):
    for n in range(2):
        response = client.post(
            "/accounts/password/reset/", {"email": alice.email}, REMOTE_ADDR=f"10.1.0.{n}"
        )
        assert response.status_code == 302
    assert len(mail.outbox) == 2
    response = client.post("/accounts/password/reset/", {"email": alice.email})
    assert response.status_code == 429
    assert len(mail.outbox) == 2


def test_password_reset_requests_are_limited_per_ip(client, tight_limits):
    for n in range(5):
        client.post("/accounts/password/reset/", {"email": f"p{n}@example.com"})
    response = client.post("/accounts/password/reset/", {"email": "p9@example.com"})
    assert response.status_code == 429


def test_sign_ups_are_limited_per_ip(client, tight_limits, django_user_model):
    for n in range(2):
        client.post(
            "/accounts/signup/",
            {
                "email": f"new{n}@example.com",
                "password1": "a long passphrase 1",
                "password2": "a long passphrase 1",
            },
        )
        client.post("/accounts/logout/")
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new9@example.com",
            "password1": "a long passphrase 1",
            "password2": "a long passphrase 1",
        },
    )
    assert response.status_code == 429
    assert not django_user_model.objects.filter(email="new9@example.com").exists()


def test_two_factor_attempts_are_limited_per_session(client, alice, alice_2fa, tight_limits):
    log_in(client, alice.email)
    for n in range(3):
        client.post("/accounts/login/two-factor/", {"code": f"00000{n}"})
    response = client.post("/accounts/login/two-factor/", {"code": alice_2fa.code()})
    assert response.status_code == 429
    assert client.get("/").status_code == 302


def test_json_clients_get_json_with_retry_after(client, alice, tight_limits):
    for _ in range(3):
        log_in(client, alice.email, "wrong")
    response = log_in(client, alice.email, "wrong", HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    body = response.json()
    assert body["retry_after"] == int(response["Retry-After"])
    assert "Try again in" in body["detail"]


def test_htmx_requests_get_json(client, alice, tight_limits):
    for _ in range(3):
        log_in(client, alice.email, "wrong")
    response = log_in(client, alice.email, "wrong", HTTP_HX_REQUEST="true")
    assert response.status_code == 429
    assert response.json()["retry_after"] > 0


@pytest.mark.urls("accounts.tests.urls")
def test_the_api_throttle_answers_429_json_with_retry_after(alice_client, tight_limits):
    assert alice_client.get("/api/limited").status_code == 200
    assert alice_client.get("/api/limited").status_code == 200
    response = alice_client.get("/api/limited")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["retry_after"] == int(response["Retry-After"])


def test_check_raises_and_the_middleware_answers_429(rf, settings, alice):
    from django.contrib.auth.models import AnonymousUser

    from accounts.ratelimits import RateLimited, check, ratelimited

    request = rf.post("/sync/")
    request.user = AnonymousUser()
    check(request, group="sync-trigger-test", key="ip", rate="1/m")
    with pytest.raises(RateLimited) as raised:
        check(request, group="sync-trigger-test", key="ip", rate="1/m")
    response = ratelimited(request, raised.value)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == raised.value.retry_after


def test_a_mistyped_rate_fails_the_system_check(settings):
    from accounts.checks import check_rate_limits

    settings.MUSICSYNC_RATE_LIMITS = {"login-ip": "ten per minute"}
    errors = check_rate_limits(None)
    assert [e.id for e in errors] == ["accounts.E001"]


def test_behind_a_trusted_proxy_each_client_has_its_own_ip_limit(client, settings, tight_limits):
    settings.MUSICSYNC_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(5):
        log_in(client, f"p{n}@example.com", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    assert (
        log_in(
            client, "x@example.com", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy
        ).status_code
        == 429
    )
    # Another client through the same proxy is not limited...
    assert (
        log_in(
            client, "x@example.com", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy
        ).status_code
        == 200
    )
    # ...and a forged left-hand entry does not escape the limit.
    forged = "1.2.3.4, 203.0.113.5"
    assert (
        log_in(client, "x@example.com", "wrong", HTTP_X_FORWARDED_FOR=forged, **proxy).status_code
        == 429
    )


def test_a_stranger_spending_the_account_limit_does_not_lock_out_a_known_browser(
    client, alice, tight_limits
):
    from django.test import Client

    assert log_in(client, alice.email).status_code == 302  # this browser logs in once
    client.post("/accounts/logout/")
    stranger = Client()
    for n in range(3):
        log_in(stranger, alice.email, "wrong", REMOTE_ADDR=f"10.9.0.{n}")
    assert log_in(stranger, alice.email, REMOTE_ADDR="10.9.0.9").status_code == 429

    assert log_in(client, alice.email).status_code == 302  # the person's own browser
    assert client.get("/").status_code == 200


def test_a_known_browser_has_its_own_limit_and_no_other_account(client, alice, bob, tight_limits):
    from django.test import Client

    from accounts.devices import COOKIE

    assert log_in(client, alice.email).status_code == 302
    client.post("/accounts/logout/")
    assert COOKIE in client.cookies and alice.email not in client.cookies[COOKIE].value
    for _ in range(3):
        log_in(client, alice.email, "wrong", REMOTE_ADDR="10.9.1.1")
    assert log_in(client, alice.email, REMOTE_ADDR="10.9.1.2").status_code == 429
    # Bob's account is not one this browser knows: his limit is his account's.
    for _ in range(3):
        log_in(client, bob.email, "wrong", REMOTE_ADDR="10.9.1.3")
    assert log_in(client, bob.email, REMOTE_ADDR="10.9.1.4").status_code == 429
    # A forged cookie is no known browser: it counts against the account, which a
    # stranger has spent.
    stranger = Client()
    for _ in range(3):
        log_in(stranger, alice.email, "wrong", REMOTE_ADDR="10.9.1.5")
    stranger.cookies[COOKIE] = client.cookies[COOKIE].value[:-4] + "AAAA"
    assert log_in(stranger, alice.email, REMOTE_ADDR="10.9.1.6").status_code == 429


def test_the_browser_is_known_only_after_the_second_step_of_two_factor(
    client, alice, alice_2fa, tight_limits
):
    from accounts.devices import COOKIE

    log_in(client, alice.email)
    assert COOKIE not in client.cookies
    client.post("/accounts/login/two-factor/", {"code": alice_2fa.code()})
    assert COOKIE in client.cookies


@pytest.mark.django_db(transaction=True)
def test_guesses_sent_at_the_same_moment_get_no_more_tries_than_one_by_one(
    tight_limits, monkeypatch
):
    # Each guess takes a while (the password hash); six sent together must not all pass
    # the check before the first of them is counted.
    import threading
    import time

    from allauth.account.adapter import DefaultAccountAdapter
    from django.test import Client

    authenticate = DefaultAccountAdapter.authenticate

    def slow_authenticate(self, request, **credentials):
        time.sleep(0.5)
        return authenticate(self, request, **credentials)

    monkeypatch.setattr(DefaultAccountAdapter, "authenticate", slow_authenticate)
    start = threading.Barrier(6)
    statuses: list[int] = []

    def guess() -> None:
        client = Client()
        start.wait()
        statuses.append(log_in(client, "carol@example.com", "guess").status_code)

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 200, 200, 429, 429, 429]  # the account's limit is 3
    # Once they are over, they count as the failures they were.
    assert log_in(Client(), "carol@example.com", "guess").status_code == 429


def test_the_right_password_of_an_unconfirmed_address_is_not_a_failed_log_in(
    client, alice, tight_limits, settings
):
    # With confirmation required, the right password leads to "confirm your address",
    # not into the app: a person doing that again and again is not guessing.
    from allauth.account.models import EmailAddress

    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    EmailAddress.objects.update_or_create(
        user=alice, email=alice.email, defaults={"verified": False, "primary": True}
    )
    for _ in range(5):  # the account's limit is 3
        response = log_in(client, alice.email)
        assert response.status_code == 302
        assert response.url == "/accounts/confirm-email/"
    # Wrong passwords for it still count.
    for _ in range(3):
        assert log_in(client, alice.email, "wrong").status_code == 200
    assert log_in(client, alice.email, "wrong").status_code == 429
