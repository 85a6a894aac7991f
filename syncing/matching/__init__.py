"""Track matching between Spotify and YouTube: pure functions, no database, no network.

``match(source, candidates)`` picks the candidate that is the same recording as the
source (or none), with a confidence and the reasons; ``search_queries(source)`` says
what to search for on the other platform; ``normalized_key(track)`` is a text key for
the shared match cache. docs/matching.md explains the rules and the figures.
"""

from __future__ import annotations

from .normalize import guess_song, normalized_key
from .queries import search_queries
from .scoring import (
    ACCEPT_THRESHOLD,
    REVIEW_THRESHOLD,
    MatchResult,
    ScoredCandidate,
    match,
)

__all__ = [
    "ACCEPT_THRESHOLD",
    "REVIEW_THRESHOLD",
    "MatchResult",
    "ScoredCandidate",
    "guess_song",
    "match",
    "normalized_key",
    "search_queries",
]
