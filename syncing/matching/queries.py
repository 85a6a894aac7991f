"""Search queries for a track's counterpart on the other platform.

YouTube searches cost 100 quota units each, so a Spotify track gets the one query that
usually finds it. Spotify searches are cheap, so a video gets an ISRC lookup where
known, then the guessed artist and title as free text, then the title alone.
`make bench BENCH=search` measures both against the sandbox's search engines.
"""

from __future__ import annotations

from platforms.types import Platform, Track

from .normalize import guess_song

MAX_QUERIES = 3
# Longer queries find nothing more, and a very long title would make a URL too long for
# a GET (google-api-python-client then switches to a POST the API refuses).
MAX_QUERY_CHARS = 200


def _quote(value: str) -> str:
    # Spotify's field filters take quoted phrases; a quote inside would end the phrase.
    return '"' + value.replace('"', " ").strip() + '"'


def _dedupe(queries: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for q in queries:
        q = _cut(" ".join(q.split()))
        if q and q.casefold() not in seen:
            seen.add(q.casefold())
            out.append(q)
    return out[:MAX_QUERIES]


def _cut(query: str) -> str:
    """At most MAX_QUERY_CHARS, ending at a word; a phrase cut open is closed again."""
    if len(query) <= MAX_QUERY_CHARS:
        return query
    cut = query[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] if " " in query[:MAX_QUERY_CHARS] else ""
    cut = cut or query[:MAX_QUERY_CHARS]
    return cut + '"' if cut.count('"') % 2 else cut


# Versions named by what they are, not by a word titles use ("a teaser", "a piano
# arrangement"): searching for their name would find nothing more.
_UNSEARCHED_VERSIONS = frozenset(
    {"arrangement", "excerpt", "loop", "reaction", "lesson", "behind the scenes"}
)


def _version_words(versions: frozenset[str]) -> str:
    return " ".join(sorted(versions - _UNSEARCHED_VERSIONS))


def youtube_queries(track: Track) -> list[str]:
    """The query for YouTube search from a Spotify track: one, since each costs 100 units.

    A second search does not pay for itself: with the album for a song from a film, show
    or musical, it found one more match per 16 searches (1,600 units) on the development
    data, and with any other album one per 35 (docs/benchmarks.md).
    """
    song = guess_song(track)
    # A version is part of what we look for: "Song (Live)" should find the live video.
    versions = _version_words(song.versions)
    first = f"{song.artist} - {song.title}" if song.artist else song.title
    return _dedupe([f"{first} {versions}"])


def spotify_queries(track: Track) -> list[str]:
    """Queries for Spotify search from a video (or another track), likeliest first.

    A video's artist is a guess (a channel, one of several names), so free text comes
    before the `track:` field: a fielded artist that is not the one Spotify credits
    finds nothing (docs/benchmarks.md, "Search queries").
    """
    queries: list[str] = []
    if track.isrc:
        queries.append(f"isrc:{track.isrc.strip().upper()}")
    song = guess_song(track)
    versions = _version_words(song.versions)
    queries.append(f"{song.artist} {song.title} {versions}")
    # The title alone, when the artist was wrongly guessed or credited otherwise.
    queries.append(f"track:{_quote(song.title)} {versions}")
    return _dedupe(queries)


def search_queries(source: Track) -> list[str]:
    """The queries to send to the other platform's search, in order (at most 3).

    A sync sends them one by one and stops at the first that gives an accepted match.
    """
    if source.platform is Platform.SPOTIFY:
        return youtube_queries(source)
    return spotify_queries(source)
