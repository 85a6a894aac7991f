"""Search queries for a track's counterpart on the other platform.

YouTube searches cost 100 quota units each, so a Spotify track gets one query that
usually finds it and at most one fallback. Spotify searches are cheap, so a video gets
an ISRC lookup where known, then fielded queries from narrow to broad.
"""

from __future__ import annotations

import re

from platforms.types import Platform, Track

from .normalize import fold, guess_song, words

MAX_QUERIES = 3
# Longer queries find nothing more, and a very long title would make a URL too long for
# a GET (google-api-python-client then switches to a POST the API refuses).
MAX_QUERY_CHARS = 200
# An album or title that says the song is from a film, a show or a stage musical.
_FROM_THE_SCREEN_RE = re.compile(
    r"\b(?:soundtrack|motion picture|score|ost|from|film|movie|series|musical|cast recording)\b"
)


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


def youtube_queries(track: Track) -> list[str]:
    """Queries for YouTube search from a Spotify track, cheapest and likeliest first."""
    song = guess_song(track)
    # A version is part of what we look for: "Song (Live)" should find the live video.
    versions = " ".join(sorted(song.versions))
    first = f"{song.artist} - {song.title}" if song.artist else song.title
    queries = [f"{first} {versions}"]
    if len(track.artists) > 1:
        # Collaborations are often uploaded under the second artist's name.
        queries.append(f"{' '.join(track.artists[:2])} {song.title} {versions}")
    elif (
        track.album
        and words(fold(track.album)) not in words(fold(track.title))
        and _FROM_THE_SCREEN_RE.search(words(fold(f"{track.album} {track.title}")))
    ):
        # Soundtrack songs are often uploaded under the film's name, not the singer's.
        # Other albums are not worth a second search: on the development data it found
        # a match for one track in 500, at 100 units a search (docs/benchmarks.md).
        queries.append(f"{song.title} {track.album} {versions}")
    return _dedupe(queries)[:2]


def spotify_queries(track: Track) -> list[str]:
    """Queries for Spotify search from a video (or another track), narrow to broad."""
    queries: list[str] = []
    if track.isrc:
        queries.append(f"isrc:{track.isrc.strip().upper()}")
    song = guess_song(track)
    versions = " ".join(sorted(song.versions))
    if song.artist:
        queries.append(f"track:{_quote(song.title)} artist:{_quote(song.artist)}")
        # Free text finds what the fields miss: a guessed artist that is really the
        # channel, a title in another script, the version words.
        queries.append(f"{song.artist} {song.title} {versions}")
    else:
        queries.append(f"track:{_quote(song.title)}")
    queries.append(f"{song.title} {versions}")
    return _dedupe(queries)


def search_queries(source: Track) -> list[str]:
    """The queries to send to the other platform's search, cheapest first (at most 3)."""
    if source.platform is Platform.SPOTIFY:
        return youtube_queries(source)
    return spotify_queries(source)
