"""Requests a person did not mean to send, or that nobody should: another site's forms
(CSRF), a login link that sends people elsewhere, bodies far too big."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import PASSWORD
from platforms.tests import library_builders as build

pytestmark = pytest.mark.django_db

EVIL = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "\thttps://evil.example/",
]


def leaves_the_site(location: str) -> bool:
    return "evil.example" in location or location.lower().startswith("javascript:")


@pytest.mark.parametrize("target", EVIL)
def test_logging_in_with_a_hostile_next_stays_on_the_site(client, alice, target):
    response = client.post(
        f"{reverse('account_login')}?next={target}",
        {"login": alice.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert not leaves_the_site(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_the_second_step_with_a_hostile_next_stays_on_the_site(alice_client, target):
    page = alice_client.get(reverse("two_factor_verify"), {"next": target})
    assert page.status_code in (200, 302)
    assert "evil.example" not in page.content.decode()
    if page.status_code == 302:
        assert not leaves_the_site(page["Location"])


# --- CSRF on every POST ------------------------------------------------------------------

# Answered to anybody with no session, and changing nothing: no CSRF token to check.
# allauth's Google One Tap endpoint is exempt by design: it checks Google's own
# double-submit cookie (g_csrf_token) and a signed credential instead (401 here).
NO_SESSION = {"health", "metrics", "accounts/google/login/token"}


def _concrete(route: str) -> str | None:
    """A path for the pattern, with 1 for every parameter; None for format-suffix twins."""
    if "(?P<format>" in route or "drf_format_suffix" in route:
        return None
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = route.replace("^", "").replace("$", "").replace("\\.", ".")
    route = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "csv" if m.group(2) == "fmt" else "1", route)
    if any(c in route for c in "()[]*+?\\|"):
        return None  # a regex this sweep cannot fill (admin's app index; covered below)
    return "/" + route


def every_path() -> list[str]:
    paths: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                path = _concrete(route)
                if path is not None:
                    paths.add(path)

    walk(get_resolver().url_patterns, "")
    return sorted(paths)


def test_the_sweep_covers_the_forms_that_change_things():
    paths = every_path()
    for expected in [
        "/sync/pairs/new/", "/sync/pairs/1/delete/", "/sync/pairs/1/run/", "/sync/runs/1/undo/",
        "/sync/review/1/never/", "/library/connections/1/disconnect/", "/settings/delete/",
        "/settings/tokens/", "/accounts/login/", "/accounts/logout/", "/api/pairs/",
        "/api/pairs/1/", "/admin/platforms/connection/1/change/",
    ]:  # fmt: skip
        assert expected in paths, expected
    assert len(paths) > 80


def test_every_post_without_a_csrf_token_is_refused(alice, settings):
    settings.MUSICSYNC_2FA = "off"
    alice.is_staff = alice.is_superuser = True  # so the admin's forms are reached too
    alice.save()
    spotify, _ = build.two_connected(alice)
    build.pair(alice, build.playlist(spotify, "Road trip", items=2))
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    accepted = {}
    for path in every_path():
        if path.strip("/") in NO_SESSION:
            continue
        response = client.post(path, {"name": "x", "confirm": "yes", "email": "x@example.com"})
        if response.status_code != 403:
            accepted[path] = response.status_code
    assert not accepted, f"answered a POST without a CSRF token: {accepted}"

    # The same form with the token goes through: the 403s above were CSRF, not something else.
    form = client.get(reverse("syncing:pairs"))
    token = form.cookies["csrftoken"].value if "csrftoken" in form.cookies else None
    token = token or client.cookies["csrftoken"].value
    response = client.post(reverse("syncing:runs_start_all"), HTTP_X_CSRFTOKEN=token)
    assert response.status_code != 403


def test_api_writes_with_a_session_need_the_csrf_token_but_tokens_do_not(alice):
    from tests.api.library import token_client

    session = Client(enforce_csrf_checks=True)
    session.force_login(alice)
    refused = session.post("/api/pairs/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    # A token is not sent by browsers on their own, so it is no CSRF risk: validation answers.
    assert token_client(alice).post("/api/pairs/", {}, format="json").status_code == 400


# --- oversized bodies --------------------------------------------------------------------


def test_a_form_body_too_big_gets_a_400_not_a_crash(alice_client, settings):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = alice_client.post(reverse("syncing:pair_new"), {"target_name": big})
    assert response.status_code in (400, 413)


def test_a_form_with_thousands_of_fields_gets_a_400(alice_client):
    fields = {f"field{i}": "x" for i in range(5_000)}
    response = alice_client.post(reverse("syncing:pair_new"), fields)
    assert response.status_code in (400, 413)


def test_an_api_body_too_big_gets_a_400_or_413_not_a_crash(alice, settings):
    from tests.api.library import token_client

    big = '{"target_name": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    response = token_client(alice).generic(
        "POST", "/api/pairs/", big, content_type="application/json"
    )
    assert response.status_code in (400, 413)


def test_a_login_with_a_huge_password_is_refused_quickly(client, alice):
    response = client.post(
        reverse("account_login"), {"login": alice.email, "password": "p" * 1_000_000}
    )
    assert response.status_code in (200, 400, 413)
    assert "_auth_user_id" not in client.session
