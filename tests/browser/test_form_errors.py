"""What a person sees when an htmx form is refused, and pages with very long names."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from platforms.tests import library_builders as build
from syncing.models import ReviewItem, RunChange
from tests.browser.test_accounts_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_link_that_is_not_a_track_says_so_in_the_review_queue(page: Page, live_server, alice):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    song = build.track("spotify", 7, title="Glass Harbour")
    ReviewItem.objects.create(user=alice, pair=pair, source=song, target_platform="youtube")
    log_in(page, live_server.url, email=alice.email)
    page.goto(f"{live_server.url}/sync/review/")

    page.get_by_label("Or paste a YouTube link").fill("https://example.com/not-a-video")
    page.get_by_role("button", name="Use link").click()

    card = page.locator(".review-item", has_text="Glass Harbour")
    expect(card).to_contain_text("Paste a Spotify song link or a YouTube video link")
    assert ReviewItem.objects.get().status == ReviewItem.Status.OPEN


def test_a_very_long_unbroken_name_does_not_widen_the_pages(page: Page, live_server, alice):
    name = "Unbroken" * 18  # 144 letters, no space: within YouTube's 150
    spotify, _ = build.two_connected(alice)
    source = build.playlist(spotify, name, items=3, platform_id="long-name")
    pair = build.pair(alice, source, target_name=name)
    build.run(pair, added=3)
    log_in(page, live_server.url, email=alice.email)

    run = build.run(pair, added=1)
    song = build.track("spotify", 5, title="Endless" * 1400)  # 9,800 letters, no space
    RunChange.objects.create(run=run, seq=1, action="add", item=song, outcome="applied")
    pages = ["/", "/library/playlists/", "/sync/pairs/", f"/sync/pairs/{pair.pk}/"]
    for path in [*pages, f"/sync/runs/{run.pk}/"]:
        page.goto(f"{live_server.url}{path}")
        if "/runs/" not in path:
            expect(page.get_by_text(name).first).to_be_visible()
        wider = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert wider is False, path
        # Nor a table inside its own scroller: every column stays in view.
        tables = page.evaluate(
            "[...document.querySelectorAll('.table-wrap')].some(w => w.scrollWidth > w.clientWidth)"
        )
        assert tables is False, path


def test_on_a_phone_tags_and_platform_names_stay_whole(page: Page, live_server, alice):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "Unbroken" * 18, platform_id="long"))
    run = build.run(pair, added=3)
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server.url, email=alice.email)

    for path in ["/sync/pairs/", f"/sync/runs/{run.pk}/", "/library/playlists/"]:
        page.goto(f"{live_server.url}{path}")
        broken = page.evaluate(
            """() => [...document.querySelectorAll('.tag, .plat')].filter(el => {
                const line = parseFloat(getComputedStyle(el).fontSize) * 1.8;
                return el.getBoundingClientRect().height > line;
            }).map(el => el.textContent)"""
        )
        assert broken == [], (path, broken)
        wider = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert wider is False, path
