"""The project's own types for what platforms return."""

from __future__ import annotations

from platforms.spotify.parse import parse_track
from platforms.types import Platform, PlaylistInfo, Track


def test_names_lose_bidirectional_controls_that_would_reverse_or_spoof_them():
    # U+202E (right-to-left override) shows "Safe \u202egnp.exe" as "Safe exe.png".
    track = parse_track(
        {
            "id": "4uLU6hMCjMI75M1A2tKUQC",
            "name": "Safe \u202egnp.exe title",
            "artists": [{"name": "Nadia \u2067Voss\u2069"}],
            "album": {"name": "\u202bLanterns\u202c"},
        }
    )
    video = Track(Platform.YOUTUBE, "dQw4w9WgXcQ", "Song", channel="\u202eKanal")
    playlist = PlaylistInfo(Platform.YOUTUBE, "PL1", "new \u202ePL")

    assert (track.title, track.artists, track.album) == (
        "Safe gnp.exe title",
        ("Nadia Voss",),
        "Lanterns",
    )
    assert (video.channel, playlist.name) == ("Kanal", "new PL")


def test_right_to_left_text_and_its_marks_are_kept():
    title = "\u05e9\u05dc\u05d5\u05dd \u200fworld\u200e"  # Hebrew, with the RLM and LRM marks
    assert Track(Platform.SPOTIFY, "x", title).title == title
