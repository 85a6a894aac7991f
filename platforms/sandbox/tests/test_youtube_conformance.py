"""The YouTube conformance validator: it passes real payloads and catches wrong ones."""

from __future__ import annotations

import copy
import json

import pytest

from platforms.sandbox import conformance_youtube
from platforms.sandbox.conformance_youtube import specs_dir, validate, validate_google

SAMPLES = specs_dir() / "samples" / "youtube"
PLAYLIST_ITEMS = "/youtube/youtube/v3/playlistItems"


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("path", "method", "sample"),
    [
        ("/youtube/v3/playlistItems", "POST", "playlistItems.insert_response.json"),
        ("/youtube/v3/playlists", "POST", "playlists.insert_response.json"),
        ("/youtube/v3/videos/getRating", "GET", "videos.getRating_response.json"),
    ],
)
def test_recorded_2022_responses_conform(path, method, sample):
    assert validate(path, method, 200, _sample(sample)) == []


@pytest.mark.parametrize(
    ("path", "sample"),
    [
        (PLAYLIST_ITEMS, "playlistItems.list_page1.json"),
        (PLAYLIST_ITEMS, "playlistItems.list_page2.json"),
        ("/youtube/v3/playlists", "playlists.list_mine.json"),
        ("/youtube/v3/search", "search.list_page1.json"),
        ("/youtube/v3/videos", "videos.list_myRating_page1.json"),
    ],
)
def test_recorded_2019_responses_fail_only_on_their_quoted_etags(path, sample):
    problems = validate(path, "GET", 200, _sample(sample))

    assert problems
    assert all("is not a bare 27-character etag" in p for p in problems)


def test_a_recorded_error_body_conforms():
    assert validate(PLAYLIST_ITEMS, "GET", 403, _sample("error_403_permission.json")) == []


def test_a_misspelt_field_is_caught():
    body = copy.deepcopy(_sample("playlistItems.insert_response.json"))
    body["snippet"]["titel"] = body["snippet"].pop("title")

    (problem,) = validate(PLAYLIST_ITEMS, "POST", 200, body)

    assert "'titel' was unexpected" in problem


def test_a_wrong_type_and_a_wrong_kind_are_caught():
    body = copy.deepcopy(_sample("playlistItems.insert_response.json"))
    body["snippet"]["position"] = "0"
    body["kind"] = "youtube#playlist"

    problems = validate(PLAYLIST_ITEMS, "POST", 200, body)

    assert any("position" in p and "is not of type 'integer'" in p for p in problems)
    assert any("'youtube#playlistItem' was expected" in p for p in problems)


def test_a_bad_timestamp_is_caught():
    body = copy.deepcopy(_sample("playlists.insert_response.json"))
    body["snippet"]["publishedAt"] = "16/11/2022"

    assert validate("/youtube/v3/playlists", "POST", 200, body)


def test_parts_that_were_not_asked_for_are_caught():
    body = _sample("playlistItems.insert_response.json")

    problems = validate(PLAYLIST_ITEMS, "POST", 200, body, {"part": "contentDetails"})

    assert problems == ["$.items[0]: parts not asked for: snippet"]


def test_an_error_body_must_have_googles_shape_and_status():
    wrong = {"error": {"status": 404, "message": "Not found"}}

    problems = validate(PLAYLIST_ITEMS, "GET", 404, wrong)

    assert any("'code' is a required property" in p for p in problems)


def test_no_content_answers_carry_no_body():
    assert validate("/youtube/v3/playlists", "DELETE", 204, None) == []
    assert validate("/youtube/v3/playlists", "DELETE", 200, {"ok": True})


def test_an_unknown_method_is_reported():
    assert validate("/youtube/v3/nothing", "GET", 200, {}) == [
        "no discovery method serves GET /youtube/v3/nothing"
    ]


def test_the_specs_directory_can_be_moved(monkeypatch, tmp_path):
    (tmp_path / conformance_youtube.DISCOVERY_FILE).write_text(
        (specs_dir() / conformance_youtube.DISCOVERY_FILE).read_text(encoding="utf-8")
    )
    monkeypatch.setenv("MUSICSYNC_SPECS_DIR", str(tmp_path))

    assert specs_dir() == tmp_path
    body = _sample("videos.getRating_response.json")
    assert validate("/youtube/v3/videos/getRating", "GET", 200, body) == []


def test_google_token_responses_are_checked():
    good = {"access_token": "a", "expires_in": 3599, "scope": "s", "token_type": "Bearer"}

    assert validate_google("/google/token", "POST", 200, good) == []
    assert validate_google("/google/token", "POST", 200, {**good, "expires": 1})
    assert validate_google("/google/token", "POST", 400, {"error": "invalid_grant"}) == []
