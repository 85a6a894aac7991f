"""The YouTube world's data rules, without HTTP: ids, durations, page tokens, persistence."""

from __future__ import annotations

import base64
import json

import pytest

from platforms.sandbox.youtube import ApiError, decode_page_token, encode_page_token
from platforms.sandbox.youtube_world import YouTubeWorld, iso_duration


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(213, "PT3M33S"), (3600, "PT1H"), (3725, "PT1H2M5S"), (45, "PT45S"), (0, "P0D")],
)
def test_durations_are_written_as_youtube_writes_them(seconds, expected):
    assert iso_duration(seconds) == expected


@pytest.mark.parametrize("offset", [0, 5, 10, 127, 128, 4_999, 300_000])
def test_page_tokens_round_trip(offset):
    assert decode_page_token(encode_page_token(offset)) == (offset, False)
    assert decode_page_token(encode_page_token(offset, backwards=True)) == (offset, True)


@pytest.mark.parametrize("token", ["", "x", "CAoQAA==extra", "AAAA", "CAoQBQ"])
def test_malformed_page_tokens_are_refused(token):
    with pytest.raises(ApiError) as raised:
        decode_page_token(token)
    assert raised.value.reason == "invalidPageToken"


def test_ids_look_like_youtubes():
    world = YouTubeWorld()
    channel = world.add_user("ann", "ann@example.com", "Ann")
    world.add_video("dQw4w9WgXcQ", "Song", "UCxxxxxxxxxxxxxxxxxxxxxx", "Artist - Topic", 213)
    playlist_id = world.add_playlist("ann", "Mix", ["dQw4w9WgXcQ"])
    item = world.playlists[playlist_id].items[0]

    assert channel["id"].startswith("UC") and len(channel["id"]) == 24
    assert playlist_id.startswith("PL") and len(playlist_id) == 34
    decoded = base64.b64decode(item.id + "=" * (-len(item.id) % 4)).decode()
    assert decoded.startswith(playlist_id + ".")
    assert world.find_item(item.id) == (world.playlists[playlist_id], item)


def test_the_same_calls_build_the_same_world():
    def build() -> dict:
        world = YouTubeWorld()
        world.add_user("ann", "ann@example.com", "Ann")
        world.add_video("v1", "Song", "UC1", "Artist", 100)
        world.add_playlist("ann", "Mix", ["v1", "v1"])
        world.like("ann", "v1")
        return world.to_dict()

    assert build() == build()


def test_a_world_survives_saving_and_loading():
    world = YouTubeWorld()
    world.add_user("ann", "ann@example.com", "Ann")
    world.add_video("v1", "Paper Lanterns", "UC1", "The Velvet Owls - Topic", 200)
    world.add_video("v2", "Gone", "UC1", "The Velvet Owls - Topic", 200, status="deleted")
    world.add_playlist("ann", "Mix", ["v1", "v2"], "desc")
    world.like("ann", "v1")
    grant = world.new_grant("ann", "client", "scope", now=1.0)
    world.issue_refresh_token(grant, now=1.0)

    loaded = YouTubeWorld.from_dict(json.loads(json.dumps(world.to_dict())))

    assert loaded.to_dict() == world.to_dict()
    assert loaded.search("paper lanterns") == ["v1"]
    assert loaded.users["ann"].liked() == ["v1"]
