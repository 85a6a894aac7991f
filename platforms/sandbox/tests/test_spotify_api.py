"""The Spotify Web API in the sandbox, through spotipy and plain HTTP, as the app calls it."""

from __future__ import annotations

import time

import pytest
import requests
import spotipy

from platforms.sandbox.spotify_world import spotify_id
from platforms.sandbox.testing import spotify_tokens, spotipy_client


@pytest.fixture
def alice(sandbox) -> spotipy.Spotify:
    return spotipy_client(sandbox, "sandbox-alice")


@pytest.fixture
def alice_headers(sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {spotify_tokens(sandbox)['access_token']}"}


def _playlist_id(owner: str, name: str) -> str:
    return spotify_id("playlist", owner, name)


def _track_uris(client: spotipy.Spotify, query: str, n: int = 10) -> list[str]:
    return [t["uri"] for t in client.search(query, limit=n)["tracks"]["items"]]


def test_alice_sees_her_playlists_and_the_ones_she_follows(alice):
    page = alice.current_user_playlists(limit=50)
    names = [p["name"] for p in page["items"]]

    assert "Road Trip 2024" in names and "Bob's Bangers" in names
    road_trip = next(p for p in page["items"] if p["name"] == "Road Trip 2024")
    assert road_trip["items"]["total"] == road_trip["tracks"]["total"] > 40
    assert road_trip["snapshot_id"]


def test_playlist_pages_carry_absolute_next_and_previous_links(sandbox, alice):
    first = alice.current_user_playlists(limit=2)
    second = alice.next(first)

    assert first["next"].startswith(sandbox.spotify_api_url + "/me/playlists?")
    assert first["previous"] is None
    assert second["offset"] == 2
    assert second["previous"].startswith("http://127.0.0.1:")


def test_creating_a_playlist_answers_201_with_the_full_playlist(alice_headers, sandbox):
    answer = requests.post(
        f"{sandbox.spotify_api_url}/me/playlists",
        json={"name": "Synced from YouTube", "public": False, "description": "by Music Sync Hub"},
        headers=alice_headers,
    )

    assert answer.status_code == 201
    body = answer.json()
    assert body["name"] == "Synced from YouTube"
    assert body["owner"]["id"] == "sandbox-alice"
    assert body["items"]["total"] == 0


def test_the_deprecated_user_playlist_create_still_works_for_yourself(alice):
    created = alice.user_playlist_create("sandbox-alice", "Legacy create", public=False)

    assert created["owner"]["id"] == "sandbox-alice"


def test_items_add_reorder_remove_and_replace_each_change_the_snapshot(alice):
    playlist = alice.current_user_playlist_create("Edits", public=False)
    uris = _track_uris(alice, "velvet owls")
    snapshots = [playlist["snapshot_id"]]

    snapshots.append(alice.playlist_add_items(playlist["id"], uris[:5])["snapshot_id"])
    snapshots.append(alice.playlist_add_items(playlist["id"], uris[5:7], position=0)["snapshot_id"])
    snapshots.append(alice.playlist_reorder_items(playlist["id"], 0, 7, 2)["snapshot_id"])
    snapshots.append(
        alice.playlist_remove_all_occurrences_of_items(playlist["id"], uris[:1])["snapshot_id"]
    )
    alice.playlist_change_details(playlist["id"], name="Edits, renamed")
    snapshots.append(alice.playlist(playlist["id"])["snapshot_id"])
    snapshots.append(alice.playlist_replace_items(playlist["id"], uris[8:10])["snapshot_id"])

    assert len(set(snapshots)) == len(snapshots)
    items = alice.playlist_items(playlist["id"])["items"]
    assert [i["item"]["uri"] for i in items] == uris[8:10]


def test_adding_at_a_position_and_reordering_put_items_where_asked(alice):
    playlist = alice.current_user_playlist_create("Order", public=False)
    a, b, c, d = _track_uris(alice, "ruby calder", 4)
    alice.playlist_add_items(playlist["id"], [a, b, c])
    alice.playlist_add_items(playlist["id"], [d], position=1)  # a d b c

    alice.playlist_reorder_items(playlist["id"], range_start=0, insert_before=4)  # d b c a

    items = alice.playlist_items(playlist["id"])["items"]
    assert [i["item"]["uri"] for i in items] == [d, b, c, a]


def test_removing_specific_occurrences_leaves_the_other_copies(alice):
    playlist = alice.current_user_playlist_create("Dupes", public=False)
    a, b = _track_uris(alice, "neon harbour", 2)
    alice.playlist_add_items(playlist["id"], [a, b, a])

    alice.playlist_remove_specific_occurrences_of_items(
        playlist["id"], [{"uri": a, "positions": [2]}]
    )

    assert [i["item"]["uri"] for i in alice.playlist_items(playlist["id"])["items"]] == [a, b]


def test_items_are_accepted_as_a_uris_object_with_a_position(sandbox, alice, alice_headers):
    playlist = alice.current_user_playlist_create("Body forms", public=False)
    a, b = _track_uris(alice, "tessa vane", 2)
    url = f"{sandbox.spotify_api_url}/playlists/{playlist['id']}/items"

    first = requests.post(url, json={"uris": [a]}, headers=alice_headers)
    second = requests.post(url, json={"uris": [b], "position": 0}, headers=alice_headers)

    assert first.status_code == second.status_code == 201
    assert [i["item"]["uri"] for i in alice.playlist_items(playlist["id"])["items"]] == [b, a]


def test_more_than_100_items_in_one_request_is_a_400(sandbox, alice, alice_headers):
    playlist = alice.current_user_playlist_create("Too many", public=False)
    uri = _track_uris(alice, "paper lanterns", 1)[0]

    answer = requests.post(
        f"{sandbox.spotify_api_url}/playlists/{playlist['id']}/items",
        json={"uris": [uri] * 101},
        headers=alice_headers,
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == 400


def test_the_legacy_tracks_alias_lists_up_to_100_and_deletes_with_tracks(
    sandbox, alice, alice_headers
):
    big = _playlist_id("sandbox-alice", "Everything I Love")
    url = f"{sandbox.spotify_api_url}/playlists/{big}/tracks"

    page = requests.get(url, params={"limit": 100}, headers=alice_headers).json()
    too_many = requests.get(
        f"{sandbox.spotify_api_url}/playlists/{big}/items",
        params={"limit": 100},
        headers=alice_headers,
    )
    uri = page["items"][0]["track"]["uri"]
    removed = requests.delete(url, json={"tracks": [{"uri": uri}]}, headers=alice_headers)

    assert len(page["items"]) == 100
    assert too_many.status_code == 400
    assert removed.status_code == 200 and "snapshot_id" in removed.json()


def test_items_carry_both_item_and_the_deprecated_track_field(alice):
    road_trip = _playlist_id("sandbox-alice", "Road Trip 2024")

    first = alice.playlist_items(road_trip, limit=1)["items"][0]

    assert first["item"] == first["track"]
    assert first["item"]["external_ids"]["isrc"]


def test_unavailable_tracks_come_back_as_null_items(alice):
    road_trip = _playlist_id("sandbox-alice", "Road Trip 2024")

    items = alice.playlist_items(road_trip, limit=50)["items"]
    items += alice.playlist_items(road_trip, limit=50, offset=50)["items"]

    nulls = [i for i in items if i["item"] is None]
    local = [i for i in items if i["is_local"]]
    assert len(nulls) >= 3
    assert all(i["track"] is None for i in nulls)
    assert local and local[0]["item"]["id"] is None
    assert local[0]["item"]["uri"].startswith("spotify:local:")


def test_alice_cannot_change_bobs_playlist(alice):
    gym = _playlist_id("sandbox-bob", "Gym")
    uri = _track_uris(alice, "golden hour", 1)[0]

    with pytest.raises(spotipy.SpotifyException) as caught:
        alice.playlist_add_items(gym, [uri])

    assert caught.value.http_status == 403


def test_alice_cannot_read_the_items_of_a_playlist_she_only_follows(alice):
    bangers = _playlist_id("sandbox-bob", "Bob's Bangers")

    with pytest.raises(spotipy.SpotifyException) as caught:
        alice.playlist_items(bangers)
    details = alice.playlist(bangers)

    assert caught.value.http_status == 403
    assert details["name"] == "Bob's Bangers" and "items" not in details


def test_alice_can_edit_a_collaborative_playlist_she_was_invited_to(alice):
    shared = _playlist_id("sandbox-bob", "Shared Sunday")
    uri = _track_uris(alice, "golden hour", 1)[0]

    answer = alice.playlist_add_items(shared, [uri])

    assert answer["snapshot_id"]
    assert alice.playlist_items(shared, limit=50)["total"] == 16


def test_unknown_ids_are_404_and_malformed_ids_are_400(sandbox, alice_headers):
    api = sandbox.spotify_api_url

    missing = requests.get(f"{api}/playlists/{'0' * 22}", headers=alice_headers)
    malformed = requests.get(f"{api}/tracks/not-an-id", headers=alice_headers)

    assert missing.status_code == 404
    assert missing.json() == {"error": {"status": 404, "message": "Resource not found"}}
    assert malformed.status_code == 400


def test_paging_through_more_than_a_thousand_items_with_next(alice):
    playlist = alice.current_user_playlist_create("Huge", public=False)
    pool = _track_uris(alice, "the", 10)
    for _ in range(11):
        alice.playlist_add_items(playlist["id"], pool * 10)

    page = alice.playlist_items(playlist["id"], limit=50)
    seen, pages = len(page["items"]), 1
    while page["next"]:
        page = alice.next(page)
        seen += len(page["items"])
        pages += 1

    assert seen == page["total"] == 1100
    assert pages == 22


def test_saved_tracks_add_contains_list_and_remove_through_me_library(alice):
    uris = _track_uris(alice, "bloom theory", 3)
    alice.current_user_saved_tracks_delete(uris)

    alice.current_user_saved_tracks_add(uris)
    newest = alice.current_user_saved_tracks(limit=3)["items"]
    contains = alice.current_user_saved_tracks_contains(uris)
    alice.current_user_saved_tracks_delete(uris[:1])

    assert {i["track"]["uri"] for i in newest} == set(uris)
    assert contains == [True, True, True]
    assert alice.current_user_saved_tracks_contains(uris) == [False, True, True]


def test_alice_has_about_150_liked_songs(alice):
    page = alice.current_user_saved_tracks(limit=50)

    assert page["total"] == 150
    assert page["items"][0]["added_at"] > page["items"][-1]["added_at"]


def test_me_library_refuses_more_than_40_uris(sandbox, alice, alice_headers):
    uris = ",".join(_track_uris(alice, "velvet", 10) * 5)[:None]

    answer = requests.put(
        f"{sandbox.spotify_api_url}/me/library", params={"uris": uris}, headers=alice_headers
    )

    assert answer.status_code == 400
    assert "40" in answer.json()["error"]["message"]


def test_legacy_me_tracks_put_and_delete_take_ids(sandbox, alice, alice_headers):
    ids = [u.split(":")[-1] for u in _track_uris(alice, "grizzly choir", 2)]
    url = f"{sandbox.spotify_api_url}/me/tracks"

    saved = requests.put(url, json={"ids": ids}, headers=alice_headers)
    contains = requests.get(f"{url}/contains", params={"ids": ",".join(ids)}, headers=alice_headers)
    removed = requests.delete(url, json={"ids": ids}, headers=alice_headers)

    assert saved.status_code == removed.status_code == 200
    assert contains.json() == [True, True]
    assert alice.current_user_saved_tracks_contains(ids) == [False, False]


def test_several_tracks_at_once_answer_nulls_for_unknown_ids_and_refuse_over_50(
    sandbox, alice, alice_headers
):
    ids = [u.split(":")[-1] for u in _track_uris(alice, "owls", 2)]

    found = alice.tracks(ids + ["0" * 22])["tracks"]
    too_many = requests.get(
        f"{sandbox.spotify_api_url}/tracks",
        params={"ids": ",".join(ids * 26)},
        headers=alice_headers,
    )

    assert [t["id"] if t else None for t in found] == ids + [None]
    assert too_many.status_code == 400


def test_search_ranks_the_song_first_and_returns_its_covers_and_live_takes(alice):
    found = alice.search("paper lanterns", limit=10)["tracks"]["items"]
    names = [(t["name"], t["artists"][0]["name"]) for t in found]

    assert names[0] == ("Paper Lanterns", "The Velvet Owls")
    assert ("Paper Lanterns", "Ruby Calder") in names
    assert any("Live" in name for name, _ in names)


def test_search_forgives_typos_and_finds_non_latin_titles(alice):
    typo = alice.search("glitter and gravle", limit=3)["tracks"]["items"]
    japanese = alice.search("夜明けの歌", limit=3)["tracks"]["items"]
    russian = alice.search("белые ночи", limit=3)["tracks"]["items"]

    assert typo[0]["name"] == "Glitter and Gravel"
    assert japanese[0]["name"] == "夜明けの歌"
    assert russian[0]["name"] == "Белые ночи"


def test_search_field_filters_narrow_the_results(alice):
    by_artist = alice.search('track:"glitter and gravel" artist:"static bloom"', limit=10)
    by_year = alice.search("year:2015 rue", limit=10)["tracks"]["items"]
    isrc = by_artist["tracks"]["items"][0]["external_ids"]["isrc"]
    by_isrc = alice.search(f"isrc:{isrc}", limit=10)["tracks"]["items"]

    assert [t["artists"][0]["name"] for t in by_artist["tracks"]["items"]] == ["Static Bloom"]
    assert by_year and all(t["album"]["release_date"].startswith("2015") for t in by_year)
    assert [t["external_ids"]["isrc"] for t in by_isrc] == [isrc]


def test_search_defaults_to_5_results_and_refuses_a_limit_over_10(sandbox, alice_headers):
    url = f"{sandbox.spotify_api_url}/search"

    default = requests.get(url, params={"q": "love", "type": "track"}, headers=alice_headers)
    eleven = requests.get(
        url, params={"q": "love", "type": "track", "limit": 11}, headers=alice_headers
    )
    far = requests.get(
        url, params={"q": "love", "type": "track", "offset": 1001}, headers=alice_headers
    )

    assert default.json()["tracks"]["limit"] == 5
    assert eleven.status_code == 400
    assert eleven.json() == {"error": {"status": 400, "message": "Invalid limit"}}
    assert far.status_code == 400


def test_the_fields_parameter_projects_the_response(sandbox, alice_headers):
    road_trip = _playlist_id("sandbox-alice", "Road Trip 2024")

    page = requests.get(
        f"{sandbox.spotify_api_url}/playlists/{road_trip}/items",
        params={"fields": "total,next,items(added_at,item(id,name,external_ids.isrc))"},
        headers=alice_headers,
    ).json()

    assert set(page) == {"total", "next", "items"}
    assert set(page["items"][0]) == {"added_at", "item"}
    assert set(page["items"][0]["item"]) == {"id", "name", "external_ids"}


def test_a_rate_limited_call_raises_429_in_spotipy_when_retries_are_off(sandbox, alice):
    sandbox.state.knobs.update(spotify_rate_limit=3)
    for _ in range(3):
        alice.me()

    with pytest.raises(spotipy.SpotifyException) as caught:
        alice.me()

    assert caught.value.http_status == 429


def test_a_rate_limited_call_says_when_to_retry(sandbox, alice_headers):
    sandbox.state.knobs.update(spotify_rate_limit=1)
    me = f"{sandbox.spotify_api_url}/me"
    requests.get(me, headers=alice_headers)

    answer = requests.get(me, headers=alice_headers)

    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 30
    assert answer.json() == {
        "error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}
    }


def test_the_rate_limit_window_rolls_over_after_30_seconds(sandbox, alice_headers):
    sandbox.state.knobs.update(spotify_rate_limit=2)
    me = f"{sandbox.spotify_api_url}/me"
    statuses = [requests.get(me, headers=alice_headers).status_code for _ in range(3)]

    sandbox.state.clock.advance(31)

    assert statuses == [200, 200, 429]
    assert requests.get(me, headers=alice_headers).status_code == 200


def test_spotipy_honours_retry_after_and_succeeds(sandbox):
    client = spotipy_client(sandbox, retries=3)
    sandbox.state.knobs.update(spotify_retry_after=1, fail_next={"spotify.me.get": [429]})

    started = time.monotonic()
    me = client.me()

    assert me["id"] == "sandbox-alice"
    assert time.monotonic() - started >= 0.9
    assert sandbox.state.counters.snapshot()["statuses"]["spotify.me.get"] == {"429": 1, "200": 1}


def test_injected_server_errors_use_spotifys_error_body(sandbox, alice_headers):
    sandbox.state.knobs.update(fail_next={"spotify.*": [503]})

    answer = requests.get(f"{sandbox.spotify_api_url}/me", headers=alice_headers)

    assert answer.status_code == 503
    assert answer.json()["error"]["status"] == 503


def test_every_call_is_counted_by_endpoint(sandbox, alice):
    sandbox.state.counters.reset()
    alice.me()
    alice.current_user_playlists()
    alice.current_user_playlists()

    calls = sandbox.state.counters.snapshot()["calls"]

    assert calls == {"spotify.me.get": 1, "spotify.playlists_mine.get": 2}


def test_a_missing_scope_is_refused_with_403(sandbox):
    token = spotify_tokens(sandbox, scope="user-read-email")["access_token"]

    answer = requests.get(
        f"{sandbox.spotify_api_url}/me/tracks", headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "Insufficient client scope"
