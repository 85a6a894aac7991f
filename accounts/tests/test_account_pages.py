from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.staticfiles import finders
from django.core import mail

from accounts.tests.conftest import log_in
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase 7"


def _link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def test_the_login_page_is_in_the_apps_layout(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'class="topbar"' in page
    assert "Log in" in page
    assert "Forgot your password?" in page


def test_pages_name_the_apps_icon_so_browsers_do_not_ask_for_a_missing_one(client):
    page = client.get("/accounts/login/").content.decode()

    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert icon.endswith(".svg")
    assert finders.find("img/favicon.svg")
    assert "css/app.css" in page


def test_signing_up_sends_a_confirmation_link_that_confirms_the_address(
    client, settings, django_user_model
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = client.post(
        "/accounts/signup/",
        {"email": "dana@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.url == "/accounts/confirm-email/"
    assert "Check your inbox" in client.get(response.url).content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("[Music Sync Hub]")
    assert "Hello from Music Sync Hub!" in mail.outbox[0].body

    link = _link_in(mail.outbox[0])
    assert "Is <strong>dana@example.com</strong> your address?" in client.get(link).content.decode()
    client.post(link)
    assert EmailAddress.objects.get(email="dana@example.com").verified
    assert log_in(client, "dana@example.com").url == "/"


def test_mandatory_verification_keeps_unconfirmed_people_out(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    client.post(
        "/accounts/signup/",
        {"email": "erin@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert log_in(client, "erin@example.com").url == "/accounts/confirm-email/"
    assert client.get("/").status_code == 302


def test_a_password_reset_link_sets_a_new_password_once(client, alice):
    response = client.post("/accounts/password/reset/", {"email": alice.email})
    assert response.url == "/accounts/password/reset/done/"
    link = _link_in(mail.outbox[0])

    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)

    again = client.get(link, follow=True).content.decode()
    assert "This link does not work" in again


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing_useful(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.url == "/accounts/password/reset/done/"


def test_changing_my_password_needs_the_old_one(alice_client, alice):
    response = alice_client.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    response = alice_client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_changing_my_email_takes_effect_once_the_new_address_is_confirmed(alice_client, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    response = alice_client.post(
        "/accounts/email/", {"action_add": "", "email": "alice.new@example.com"}
    )
    assert response.status_code == 302
    page = alice_client.get("/accounts/email/").content.decode()
    assert "waiting for confirmation" in page
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"

    link = _link_in(next(m for m in mail.outbox if "alice.new@example.com" in m.to))
    alice_client.post(link)
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"


def test_an_address_another_account_uses_is_refused_and_nothing_is_sent(alice_client, alice, bob):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    EmailAddress.objects.create(user=bob, email=bob.email, verified=True, primary=True)

    response = alice_client.post("/accounts/email/", {"action_add": "", "email": "Bob@Example.com"})

    assert response.status_code == 200
    assert "Another account uses this address" in response.content.decode()
    assert mail.outbox == []
    assert "waiting for confirmation" not in alice_client.get("/accounts/email/").content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_an_address_another_person_only_asked_to_change_to_is_not_theirs(alice_client, alice, bob):
    EmailAddress.objects.create(user=bob, email="shared@example.com")  # not confirmed

    response = alice_client.post(
        "/accounts/email/", {"action_add": "", "email": "shared@example.com"}
    )

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["shared@example.com"]]


def _sign_up(client, email: str) -> None:
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:300]


def test_an_unconfirmed_address_stays_the_login_until_the_new_one_is_confirmed(
    client, django_user_model
):
    _sign_up(client, "erin@example.com")  # never confirmed
    page = client.get("/accounts/email/").content.decode()
    assert "You log in with <strong>erin@example.com</strong>" in page
    assert "Changing to" not in page  # nothing is being changed yet

    response = client.post("/accounts/email/", {"action_add": "", "email": "erin@exmaple.com"})

    assert response.status_code == 302
    page = client.get("/accounts/email/").content.decode()
    assert "You log in with <strong>erin@example.com</strong>" in page
    assert "Changing to <strong>erin@exmaple.com</strong>" in page
    user = django_user_model.objects.get(email="erin@example.com")
    client.logout()
    assert log_in(client, "erin@exmaple.com").status_code == 200  # the typo does not log in
    assert log_in(client, "erin@example.com").url == "/"
    # Another unconfirmed person changes address too (this was a 500).
    other = client.__class__()
    _sign_up(other, "finn@example.com")
    assert other.post("/accounts/email/", {"action_add": "", "email": "finn@new.example"}).url
    # The right address, once confirmed, takes over; the old one is gone.
    client.post("/accounts/email/", {"action_add": "", "email": "erin.new@example.com"})
    client.post(_link_in(next(m for m in mail.outbox if "erin.new@example.com" in m.to)))
    user.refresh_from_db()
    assert user.email == "erin.new@example.com"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "erin.new@example.com"
    ]
    assert log_in(client.__class__(), "erin@example.com").status_code == 200
    assert log_in(client.__class__(), "erin.new@example.com").url == "/"


def test_an_account_an_old_change_left_without_an_email_gets_its_address_back(
    client, django_user_model
):
    from importlib import import_module

    from django.apps import apps

    user = django_user_model.objects.create_user(email="gil@example.com", password=PASSWORD)
    django_user_model.objects.filter(pk=user.pk).update(email="")  # what the old bug did
    EmailAddress.objects.create(user=user, email="gil.new@example.com")

    import_module("accounts.migrations.0006_restore_blank_emails").restore(apps, None)

    user.refresh_from_db()
    assert user.email == "gil.new@example.com"
    assert log_in(client, "gil.new@example.com").url == "/"


def test_the_settings_page_shows_profile_two_factor_tokens_and_deletion(alice_client):
    page = alice_client.get("/settings/").content.decode()
    for heading in ("Profile", "Two-factor authentication", "API tokens", "Delete my account"):
        assert heading in page
    assert "Set up two-factor" in page


def test_settings_need_a_login(client):
    response = client.get("/settings/")
    assert response.url.startswith("/accounts/login/")


def test_allauths_page_of_third_party_accounts_cannot_disconnect_a_platform(alice_client, alice):
    from allauth.socialaccount.models import SocialAccount

    from platforms.models import Connection

    account = SocialAccount.objects.create(user=alice, provider="spotify", uid="sandbox-alice")
    connection = Connection.objects.create(
        user=alice, platform="spotify", account_id="sandbox-alice", access_token="token"
    )

    page = alice_client.get("/accounts/3rdparty/", follow=True)
    assert page.redirect_chain[-1][0] == "/"
    assert "Account Connections" not in page.content.decode()
    response = alice_client.post("/accounts/3rdparty/", {"account": account.pk}, follow=True)
    assert "has been disconnected" not in response.content.decode()

    assert SocialAccount.objects.filter(pk=account.pk).exists()
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert mail.outbox == []
