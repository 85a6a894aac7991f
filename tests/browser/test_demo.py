"""Issue 8's demo, end to end in a browser against the sandbox.

Sign up, connect Spotify and YouTube through their (emulated) consent pages, let the
libraries import, create a pair with a dry-run preview, run it and watch its progress,
read the run's change log, resolve one review item, run again, and undo.
With MUSICSYNC_SCREENSHOTS=<dir> each step leaves a full-page screenshot there.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from platforms.oauth import configure_endpoints
from syncing.models import Run
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EMAIL = "erin@example.com"
LONG = 60_000  # ms: an import or a run in the sandbox takes seconds, not minutes


@pytest.fixture
def app_on_sandbox(sandbox_settings, settings, worker):
    # sandbox_settings moves the Google base URL but not the URLs derived from it.
    google = sandbox_settings.google_oauth_url
    settings.GOOGLE_TOKEN_URL = f"{google}/token"
    settings.GOOGLE_USERINFO_URL = f"{google}/oauth2/v2/userinfo"
    settings.GOOGLE_ID_TOKEN_ISSUER = google
    # The demo shows a sync, not the quota wait (the engine's own tests cover that).
    settings.YOUTUBE_DAILY_QUOTA = 1_000_000
    sandbox_settings.state.knobs.update(youtube_daily_quota=1_000_000)
    # allauth keeps its endpoints in module and class attributes: point them here.
    configure_endpoints()
    yield sandbox_settings
    configure_endpoints()


def connect(page: Page, platform: str) -> None:
    page.get_by_role("button", name=f"Connect {platform}").click()
    # The sandbox's consent page: pick the first demo person and agree.
    page.get_by_role("button", name="Agree").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=LONG)


def test_the_issue_8_demo(page: Page, live_server, app_on_sandbox, csp_violations):
    # Spotify refuses "localhost" in redirect URIs (loopback addresses only).
    base = live_server.url.replace("//localhost:", "//127.0.0.1:")
    page.set_default_timeout(20_000)

    # Sign up: the dashboard says what to do first.
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    if not page.url.rstrip("/").endswith(base.split("//")[1]):
        page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Start here: connect your accounts")).to_be_visible()
    screenshot(page, "demo-01-empty-dashboard")

    # Connect both platforms; each library imports in the background.
    connect(page, "Spotify")
    connect(page, "YouTube")
    page.goto(f"{base}/")
    expect(page.locator(".platform-spotify")).to_contain_text("Imported", timeout=LONG)
    expect(page.locator(".platform-youtube")).to_contain_text("Imported", timeout=LONG)
    screenshot(page, "demo-02-connected")

    # A new pair into a new playlist on the other platform, previewed first.
    page.get_by_role("link", name="Pairs").click()
    page.get_by_role("link", name="New pair").first.click()
    source = page.get_by_label("Source", exact=True)
    # Alice's covers and live takes found on YouTube: not all of them are on Spotify, so
    # the matcher leaves some for her to decide.
    finds = source.locator("optgroup[label=YouTube] option", has_text="YouTube Finds")
    source.select_option(finds.get_attribute("value"))
    page.locator("#id_mode_0").check()  # add only
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator("#preview .count-chips")).to_be_visible()
    expect(page.locator("#preview")).to_contain_text("to add")
    screenshot(page, "demo-03-preview")

    # Save and sync: the run page shows progress, then the change log.
    page.get_by_role("button", name="Save and sync now").click()
    expect(page.get_by_role("heading", name=re.compile(r"Run #\d+"))).to_be_visible()
    screenshot(page, "demo-04-run-progress")
    expect(page.get_by_role("heading", name="Changes")).to_be_visible(timeout=LONG)
    expect(page.locator(".run-status")).to_contain_text(re.compile("Succeeded|Partial"))
    screenshot(page, "demo-05-run-detail")
    first_run = Run.objects.filter(dry_run=False).order_by("pk").first()
    assert first_run.added > 0

    # Resolve one review item by picking one of its candidates.
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name="Review matches")).to_be_visible()
    screenshot(page, "demo-06-review")
    card = page.locator(
        ".review-item", has=page.get_by_role("button", name=re.compile("Pick this"))
    )
    expect(card.first).to_be_visible()
    title = card.first.locator("h2").inner_text()
    card.first.get_by_role("button", name=re.compile("Pick this")).first.click()
    expect(page.locator(".review-item.resolved").first).to_contain_text(f"Matched “{title}”")
    screenshot(page, "demo-07-review-resolved")

    # Run again, from the dashboard.
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("button", name=re.compile("^Sync now")).first.click()
    expect(page.get_by_role("heading", name="Changes")).to_be_visible(timeout=LONG)
    screenshot(page, "demo-08-second-run")

    # The second run added the song picked in review; undo takes it out again.
    second = Run.objects.filter(dry_run=False).order_by("-pk").first()
    assert second.added >= 1
    target = second
    page.goto(f"{base}/sync/runs/{target.pk}/")
    page.get_by_role("button", name="Undo this run").click()
    expect(page.get_by_text("Undo started")).to_be_visible()
    expect(page.get_by_role("heading", name="Changes")).to_be_visible(timeout=LONG)
    screenshot(page, "demo-09-undone")

    assert csp_violations == []
