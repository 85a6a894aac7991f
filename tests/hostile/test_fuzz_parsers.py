"""Malformed and partial platform payloads: the parsers at the edge return the project's
own types, skip the item, or raise PlatformError; nothing else ever escapes into a run."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platforms.errors import PlatformError
from platforms.spotify import parse as spotify
from platforms.types import MAX_DURATION_MS, PlaylistEntry, PlaylistInfo, Track
from platforms.youtube import parse as youtube

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# The field names the parsers look for, so random payloads reach past the first check.
KEYS = [
    "id", "type", "name", "artists", "album", "duration_ms", "external_ids", "isrc",
    "is_playable", "is_local", "item", "track", "added_at", "owner", "items", "tracks",
    "total", "description", "snapshot_id", "collaborative", "snippet", "status",
    "contentDetails", "privacyStatus", "uploadStatus", "title", "channelTitle", "duration",
    "videoId", "kind", "resourceId", "videoOwnerChannelTitle", "publishedAt", "etag",
    "itemCount", "channelId", "nextPageToken",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    # json.loads("1e400") is inf: a platform can send that as text.
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["track", "youtube#video", "public", "private", "PT3M21S", "P9999D"])
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=25,
)
objects = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=10)
payloads = objects | json_values


def _check_track(track: Any) -> None:
    if track is None:
        return
    assert isinstance(track, Track)
    assert isinstance(track.platform_id, str) and track.platform_id
    for text in (track.title, track.album, track.isrc, track.channel):
        assert isinstance(text, str)
    assert all(isinstance(a, str) for a in track.artists), track.artists
    assert track.duration_ms is None or (
        isinstance(track.duration_ms, int) and 0 < track.duration_ms <= MAX_DURATION_MS
    )
    assert isinstance(track.available, bool)


def _check_entry(entry: Any) -> None:
    assert isinstance(entry, PlaylistEntry)
    assert isinstance(entry.entry_id, str) and isinstance(entry.added_at, str)
    _check_track(entry.track)


def _check_playlist(info: Any) -> None:
    assert isinstance(info, PlaylistInfo)
    assert isinstance(info.name, str) and isinstance(info.version, str)
    assert isinstance(info.item_count, int) and isinstance(info.editable, bool)


def _survives(parse, raw, check) -> None:
    try:
        result = parse(raw)
    except PlatformError:
        return
    check(result)


@FUZZ
@given(payloads)
def test_spotify_tracks_parse_or_are_skipped(raw):
    _survives(spotify.parse_track, raw, _check_track)


@FUZZ
@given(payloads, st.integers(min_value=0, max_value=10_000))
def test_spotify_playlist_and_saved_entries_always_become_entries(raw, position):
    _survives(lambda r: spotify.parse_playlist_entry(r, position), raw, _check_entry)
    _survives(lambda r: spotify.parse_saved_track(r, position), raw, _check_entry)
    _survives(lambda r: spotify.parse_playlist_entry({"item": r}, position), raw, _check_entry)


@FUZZ
@given(payloads)
def test_spotify_playlists_parse_or_raise_platform_error(raw):
    _survives(lambda r: spotify.parse_playlist(r, me="me"), raw, _check_playlist)


@FUZZ
@given(payloads)
def test_spotify_pages_give_a_list_or_raise_platform_error(raw):
    _survives(spotify.page_items, raw, lambda items: isinstance(items, list))


@FUZZ
@given(payloads)
def test_youtube_videos_and_search_results_parse_or_are_skipped(raw):
    _survives(youtube.parse_video, raw, _check_track)
    _survives(youtube.parse_search_result, raw, _check_track)


@FUZZ
@given(payloads, st.integers(min_value=0, max_value=10_000))
def test_youtube_playlist_items_always_become_entries(raw, position):
    _survives(lambda r: youtube.parse_playlist_item(r, position), raw, _check_entry)


@FUZZ
@given(payloads)
def test_youtube_playlists_and_pages_parse_or_raise_platform_error(raw):
    _survives(youtube.parse_playlist, raw, _check_playlist)
    _survives(youtube.page_items, raw, lambda items: isinstance(items, list))


@FUZZ
@given(
    st.text(max_size=40)
    | st.from_regex(r"\AP(\d{1,400}D)?(T(\d{1,400}H)?(\d{1,400}M)?(\d{1,400}(\.\d{1,5})?S)?)?\Z")
)
def test_youtube_durations_are_milliseconds_or_unknown(value):
    duration = youtube.parse_duration(value)
    assert duration is None or (isinstance(duration, int) and duration > 0)


def test_a_duration_too_long_to_count_is_unknown_not_a_crash():
    assert youtube.parse_duration("P" + "9" * 400 + "D") is None


def test_a_spotify_artist_whose_name_is_not_text_is_left_out():
    raw = {"id": "x1", "name": "Song", "artists": [{"name": 7}, {"name": "Real"}, "odd"]}
    assert spotify.parse_track(raw).artists == ("Real",)


def test_a_spotify_duration_that_is_infinite_or_too_big_is_unknown():
    for duration in (float("inf"), 2**40, -5, True):
        raw = {"id": "x1", "name": "Song", "duration_ms": duration}
        assert spotify.parse_track(raw).duration_ms is None
