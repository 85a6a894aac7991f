"""The browsable API and its docs page keep to the site's Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from platforms.tests import library_builders as build
from tests.browser.test_accounts_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browsable_api_and_the_api_docs_raise_no_csp_violation(
    page: Page, live_server, alice, csp_violations
):
    spotify, _ = build.two_connected(alice)
    build.playlist(spotify, "Road trip", items=2)
    log_in(page, live_server.url, email=alice.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto(f"{live_server.url}/api/playlists/")
    expect(page.get_by_role("button", name="Filters")).to_be_visible()
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator("#swagger-ui")).to_be_attached()
    page.wait_for_load_state("networkidle")

    assert csp_violations == [], "\n".join(csp_violations)
