"""A person signs up, confirms, turns on two-factor, and logs in with codes; the admin waits."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "dana@example.com"


@pytest.fixture
def mandatory_email_confirmation(settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"


def log_in(page: Page, base: str, *, email: str = EMAIL, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def enter_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_sign_up_confirm_two_factor_recovery_codes_and_the_admin(
    page: Page, live_server, mandatory_email_confirmation, csp_violations
):
    base = live_server.url

    # Sign up; the app asks to confirm the address before anything else.
    page.goto(f"{base}/accounts/signup/")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    screenshot(page, "signup")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    # The link in the email confirms it.
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Yes, confirm it").click()

    log_in(page, base)
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("link", name="Settings")).to_be_visible()

    # Set up TOTP from the settings page: the key is on the page, the app computes codes.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Set up two-factor").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    screenshot(page, "two-factor-set-up")
    secret = page.locator("#totp-secret").inner_text().strip()
    authenticator = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(authenticator.now())
    page.get_by_role("button", name="Turn on two-factor").click()

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    recovery_codes = page.locator(".codes code").all_inner_texts()
    assert len(recovery_codes) == 10
    screenshot(page, "recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("On", exact=True)).to_be_visible()
    screenshot(page, "settings")

    # Logging in again needs the code. A code counts once per 30 s step, so use the next
    # step's code (accepted: apps and servers allow one step of clock drift).
    log_out(page)
    log_in(page, base)
    screenshot(page, "two-factor-login")
    enter_code(page, authenticator.at(time.time() + 30))
    expect(page).to_have_url(f"{base}/")

    # A recovery code works once...
    log_out(page)
    log_in(page, base)
    enter_code(page, recovery_codes[0])
    expect(page).to_have_url(f"{base}/")

    # ...and not a second time.
    log_out(page)
    log_in(page, base)
    enter_code(page, recovery_codes[0])
    expect(page.get_by_text("That code is not valid")).to_be_visible()

    # Staff or not, the admin is shut until the second step is done: mid-login, asking for
    # it leads back to the code.
    get_user_model().objects.filter(email=EMAIL).update(is_staff=True, is_superuser=True)
    page.goto(f"{base}/admin/")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert "/admin/" not in page.url.split("?")[0]

    time.sleep(2)  # django-otp holds a device for a second after a wrong code
    page.get_by_label("Code").fill(recovery_codes[1])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("link", name="Settings")).to_be_visible()
    page.goto(f"{base}/admin/")
    expect(page.get_by_role("link", name="Music Sync Hub administration")).to_be_visible()
    screenshot(page, "admin")

    assert csp_violations == []


def test_api_tokens_are_shown_once_and_can_be_revoked(page: Page, live_server, alice):
    base = live_server.url
    log_in(page, base, email=alice.email)
    page.goto(f"{base}/settings/tokens/")
    expect(page.get_by_text("No tokens yet")).to_be_visible()

    page.get_by_label("Name").fill("laptop script")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token-secret").inner_text()
    assert secret.startswith("msh_")
    screenshot(page, "api-token-created")

    page.reload()
    expect(page.locator("#new-token-secret")).to_have_count(0)
    assert secret not in page.content()
    row = page.get_by_role("row", name=re.compile("laptop script"))
    expect(row.get_by_text("Active")).to_be_visible()

    row.get_by_role("button", name="Revoke").click()
    expect(
        page.get_by_role("row", name=re.compile("laptop script")).get_by_text("Revoked")
    ).to_be_visible()


def test_the_settings_page_fits_a_phone(page: Page, live_server, alice):
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server.url, email=alice.email)
    page.goto(f"{live_server.url}/settings/")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    screenshot(page, "settings-phone")
