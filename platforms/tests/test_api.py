"""The REST API over connections, libraries and the quota, as a script sees it."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from platforms.models import Collection, Connection
from tests.api.library import ACCESS_TOKEN, REFRESH_TOKEN, build_library, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def lib(alice):
    return build_library(alice, tag="alice")


@pytest.fixture
def api(alice):
    return token_client(alice)


@pytest.fixture
def bob_api(bob):
    build_library(bob, tag="bob")
    return token_client(bob)


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


# --- me -----------------------------------------------------------------------------


def test_me_tells_who_you_are_and_whether_two_factor_is_on(api, alice):
    body = api.get("/api/me/").json()
    assert body["email"] == "alice@example.com"
    assert body["two_factor_enabled"] is False
    assert "date_joined" in body
    assert "password" not in body


def test_me_cannot_be_changed_through_the_api(api):
    assert api.patch("/api/me/", {"email": "eve@example.com"}, format="json").status_code == 405


def test_anonymous_callers_get_401_with_a_token_challenge(lib):
    for url in ["/api/me/", "/api/connections/", "/api/playlists/", "/api/quota/"]:
        response = APIClient().get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_a_wrong_token_gets_401(lib):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token msh_abcdef12_not-a-real-secret")
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked token."


def test_a_logged_in_browser_session_works_and_gets_the_browsable_api(client, alice, lib):
    client.force_login(alice)
    response = client.get("/api/playlists/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Road trip" in response.content
    assert b"Django REST framework" in response.content


# --- connections --------------------------------------------------------------------


def test_connections_list_both_accounts_without_any_token(api, lib):
    response = api.get("/api/connections/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["platform"], r["state"]) for r in rows] == [
        ("spotify", "active"),
        ("youtube", "active"),
    ]
    assert ACCESS_TOKEN not in response.content.decode()
    assert REFRESH_TOKEN not in response.content.decode()
    assert not {"access_token", "refresh_token", "token_version", "scopes"} & set(rows[0])


def test_a_connection_shows_its_import_state(api, lib):
    body = api.get(f"/api/connections/{lib.spotify.pk}/").json()
    assert body["account_name"] == "alice on Spotify"
    assert body["import_status"] == "never"


def test_import_now_queues_an_import(api, lib):
    response = api.post(f"/api/connections/{lib.spotify.pk}/import/")
    assert response.status_code == 202
    assert response.json()["queued"] is True
    assert response.json()["connection"]["import_status"] == "queued"


def test_import_now_while_one_is_queued_says_so_and_queues_nothing_more(api, lib):
    api.post(f"/api/connections/{lib.spotify.pk}/import/")
    response = api.post(f"/api/connections/{lib.spotify.pk}/import/")
    assert response.status_code == 202
    assert response.json()["queued"] is False


def test_import_of_an_account_that_needs_reconnecting_is_409(api, lib):
    Connection.objects.filter(pk=lib.youtube.pk).update(state=Connection.State.NEEDS_RECONNECT)
    response = api.post(f"/api/connections/{lib.youtube.pk}/import/")
    assert response.status_code == 409
    assert "connected again" in response.json()["detail"]


def test_connections_cannot_be_written(api, lib):
    url = f"/api/connections/{lib.spotify.pk}/"
    assert api.patch(url, {"state": "active"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert api.post("/api/connections/", {"platform": "spotify"}).status_code == 405


def test_another_persons_connection_is_404(bob_api, lib):
    assert bob_api.get(f"/api/connections/{lib.spotify.pk}/").status_code == 404
    assert bob_api.post(f"/api/connections/{lib.spotify.pk}/import/").status_code == 404
    assert Connection.objects.get(pk=lib.spotify.pk).import_status == "never"


@override_settings(MUSICSYNC_RATE_LIMITS={"api": "1000/h", "sync-trigger": "2/h"})
def test_import_now_too_often_is_429_with_retry_after(api, lib):
    for _ in range(2):
        assert api.post(f"/api/connections/{lib.spotify.pk}/import/").status_code == 202
    response = api.post(f"/api/connections/{lib.spotify.pk}/import/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["retry_after"] == int(response["Retry-After"])
    assert "Try again in" in response.json()["detail"]


# --- playlists and liked songs ------------------------------------------------------


def test_playlists_list_every_playlist_on_both_platforms(api, lib):
    response = api.get("/api/playlists/")
    assert response.status_code == 200
    assert sorted(names(response)) == ["Old favourites", "Road trip", "Road trip"]
    assert response.json()["count"] == 3


def test_playlists_filter_by_platform(api, lib):
    rows = api.get("/api/playlists/?platform=youtube").json()["results"]
    assert [(r["platform"], r["name"]) for r in rows] == [("youtube", "Road trip")]


def test_playlists_filter_by_an_unknown_platform_is_400_naming_the_field(api, lib):
    response = api.get("/api/playlists/?platform=deezer")
    assert response.status_code == 400
    assert "platform" in response.json()


def test_playlists_search_by_name(api, lib):
    assert names(api.get("/api/playlists/?search=favour")) == ["Old favourites"]


def test_playlists_removed_on_the_platform_can_be_left_out(api, lib):
    assert "Old favourites" not in names(api.get("/api/playlists/?removed=false"))


def test_playlists_are_paginated(api, lib):
    body = api.get("/api/playlists/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert "page=2" in body["next"]


def test_a_page_past_the_end_is_404(api, lib):
    assert api.get("/api/playlists/?page=9").status_code == 404


def test_a_playlist_shows_its_details(api, lib):
    body = api.get(f"/api/playlists/{lib.playlist.pk}/").json()
    assert body["name"] == "Road trip"
    assert body["platform"] == "spotify"
    assert body["item_count"] == 3


def test_a_playlist_whose_songs_the_platform_refuses_says_so(api, lib):
    Collection.objects.filter(pk=lib.playlist.pk).update(editable=False, items_readable=False)

    body = api.get(f"/api/playlists/{lib.playlist.pk}/").json()

    assert body["items_readable"] is False and body["item_count"] == 3


def test_playlist_items_come_in_order_with_hidden_items_as_null(api, lib):
    body = api.get(f"/api/playlists/{lib.playlist.pk}/items/").json()
    assert body["count"] == 3
    rows = body["results"]
    assert [r["position"] for r in rows] == [0, 1, 2]
    assert rows[0]["track"]["title"] == "Harvest Moon"
    assert rows[0]["track"]["artists"] == ["Neil Young"]
    assert rows[2]["track"] is None


def test_playlist_items_are_paginated_and_searchable(api, lib):
    body = api.get(f"/api/playlists/{lib.playlist.pk}/items/?page_size=1&page=2").json()
    assert [r["track"]["title"] for r in body["results"]] == ["Heart of Gold"]
    body = api.get(f"/api/playlists/{lib.playlist.pk}/items/?search=heart").json()
    assert [r["track"]["title"] for r in body["results"]] == ["Heart of Gold"]


def test_liked_songs_list_one_collection_per_platform(api, lib):
    rows = api.get("/api/liked/?platform=spotify").json()["results"]
    assert [(r["kind"], r["name"]) for r in rows] == [("liked", "Liked Songs")]
    items = api.get(f"/api/liked/{lib.liked.pk}/items/").json()["results"]
    assert [r["track"]["title"] for r in items] == ["Harvest Moon"]


def test_liked_songs_are_not_found_under_playlists_nor_the_reverse(api, lib):
    assert api.get(f"/api/playlists/{lib.liked.pk}/").status_code == 404
    assert api.get(f"/api/liked/{lib.playlist.pk}/").status_code == 404


def test_another_persons_playlist_and_its_items_are_404(bob_api, lib):
    assert bob_api.get(f"/api/playlists/{lib.playlist.pk}/").status_code == 404
    assert bob_api.get(f"/api/playlists/{lib.playlist.pk}/items/").status_code == 404
    assert bob_api.get(f"/api/liked/{lib.liked.pk}/items/").status_code == 404
    assert "alicepl" not in bob_api.get("/api/playlists/").content.decode()


def test_playlists_cannot_be_written(api, lib):
    assert api.post("/api/playlists/", {"name": "x"}).status_code == 405
    assert api.delete(f"/api/playlists/{lib.playlist.pk}/").status_code == 405


# --- quota --------------------------------------------------------------------------


@override_settings(YOUTUBE_DAILY_QUOTA=10_000)
def test_quota_tells_units_left_today_what_i_spent_and_when_it_resets(api, lib, bob_api):
    body = api.get("/api/quota/").json()
    # alice and bob spent 150 each today (see the library).
    assert body == {
        "daily_limit": 10_000,
        "units_left_today": 9_700,
        "units_spent_today": 300,
        "units_spent_by_me_today": 150,
        "resets_at": body["resets_at"],
    }
    assert body["resets_at"].endswith(("T07:00:00Z", "T08:00:00Z"))  # midnight Pacific
