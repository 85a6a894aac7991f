"""How a sync searches for a song it has no match for: which queries it sends, and when it stops.

The platform client is stubbed: it answers each query from a table and records what it was
sent. The sandbox's own search is exercised by the engine tests and `make bench BENCH=search`.
"""

from __future__ import annotations

from platforms.tests import library_builders as build
from platforms.types import Platform, Track
from syncing.matching import search_queries
from syncing.services.resolve import Resolver


class AnsweringSearch:
    """A client whose search gives the tracks listed for a query, and nothing otherwise."""

    def __init__(self, answers: dict[str, list[Track]]):
        self.answers = answers
        self.sent: list[str] = []

    def search(self, query: str) -> list[Track]:
        self.sent.append(query)
        return self.answers.get(query, [])


def spotify_song(title: str, artist: str) -> Track:
    return Track(Platform.SPOTIFY, "4uLU6hMCjMI75M1A2tKUQC", title, (artist,), duration_ms=201_000)


def resolve(user, source, target_platform: str, client: AnsweringSearch):
    resolver = Resolver(
        user_id=user.pk, target_platform=target_platform, client=client, target_tracks=[]
    )
    return resolver.resolve([source])[source.pk]


def test_a_video_whose_guessed_artist_finds_nothing_is_found_by_its_title(alice):
    # Uploaded by one of the two singers; Spotify credits the other.
    video = build.track(
        "youtube", 1, title="Harbor Kids x Mira Solis - Quiet Harbor (Official Video)",
        channel="Harbor Kids",
    )  # fmt: skip
    first, by_title = search_queries(video.to_info())
    assert by_title == 'track:"Quiet Harbor"'
    client = AnsweringSearch({by_title: [spotify_song("Quiet Harbor", "Mira Solis")]})

    found = resolve(alice, video, "spotify", client)

    assert client.sent == [first, by_title]
    assert found.outcome == "matched"
    assert found.target_id is not None


def test_the_search_stops_at_the_first_query_that_finds_the_song(alice):
    video = build.track("youtube", 1, title="Mira Solis - Quiet Harbor", channel="Mira Solis")
    first = search_queries(video.to_info())[0]
    client = AnsweringSearch({first: [spotify_song("Quiet Harbor", "Mira Solis")]})

    found = resolve(alice, video, "spotify", client)

    assert client.sent == [first]
    assert found.outcome == "matched"


def test_a_song_youtube_does_not_find_costs_one_search(alice):
    song = build.track("spotify", 1, title="Quiet Harbor", artists=["Mira Solis", "Harbor Kids"])
    client = AnsweringSearch({})

    found = resolve(alice, song, "youtube", client)

    assert client.sent == ["Mira Solis - Quiet Harbor"]
    assert found.outcome == "unmatched"
