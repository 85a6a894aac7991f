"""Issue 5 in a browser: log in, connect both platforms on their consent pages, see the library."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG = 60_000


def test_connecting_both_platforms_shows_the_sandbox_library(
    page: Page, live_server, platform_settings, worker, alice, csp_violations
):
    base = live_server.url.replace("//localhost:", "//127.0.0.1:")
    page.set_default_timeout(20_000)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    for platform in ("Spotify", "YouTube"):
        page.get_by_role("button", name=f"Connect {platform}").click()
        expect(page.get_by_role("button", name="Agree")).to_be_visible()
        screenshot(page, f"connect-{platform.lower()}-consent")
        page.get_by_role("button", name="Agree").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=LONG)
    page.goto(f"{base}/")
    expect(page.locator(".platform-spotify")).to_contain_text("Imported", timeout=LONG)
    expect(page.locator(".platform-youtube")).to_contain_text("Imported", timeout=LONG)
    screenshot(page, "connect-dashboard")

    page.goto(f"{base}/library/playlists/?platform=spotify")
    expect(page.get_by_text("Morning Commute")).to_be_visible()
    page.goto(f"{base}/library/liked/?platform=spotify")
    expect(page.locator("main")).to_contain_text("Liked")
    expect(page.locator("main table tbody tr").first).to_be_visible()
    page.goto(f"{base}/library/playlists/?platform=youtube")
    expect(page.locator("main table tbody tr, main li").first).to_be_visible()
    screenshot(page, "connect-playlists")
    assert csp_violations == []
