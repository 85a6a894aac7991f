"""Finding each source item's counterpart on the other platform, spending as little as we can.

Order: the person's own choice; the pair's existing link; an item already in the
target (the same recording, or another upload of it that only the duration speaks
against); the shared match cache (and cache rows of other releases with the same
ISRC); and only then a search, which on YouTube costs 100 units of a quota the whole
deployment shares. An item in the target that is another version than the source (a
studio track for a live video) is kept back until the search has had its say.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from platforms.clients import PlatformClient
from platforms.errors import PlatformError
from platforms.models import Track
from platforms.services import tracks_upsert
from syncing import matching
from syncing.models import MatchCache, MatchChoice, MatchMethod

logger = logging.getLogger(__name__)

# A search that found nothing is not repeated for this long (by anybody).
NEGATIVE_CACHE_TTL = timedelta(days=14)
CANDIDATES_KEPT = 5
# Search results are written to the database in groups of this many tracks.
STORE_EVERY = 50
_WORD = re.compile(r"\w{3,}")
IN_TARGET = "already in the target"
NEAR_MATCH = "already in the target as another upload of the same song"
# An upload already in the target is the song when only its length disagrees, by up to
# this much (a music video's intro or outro); a longer gap is more likely another cut.
NEAR_MATCH_DURATION_MS = 60_000
# The matcher's reasons that say the candidate is another version (live, remix, ...).
_VERSION_REASONS = ("candidate is ", "remix by ")


@dataclass
class Resolution:
    source_id: int
    target_id: int | None = None
    method: str = ""
    confidence: float | None = None
    reasons: list[str] = field(default_factory=list)
    # "matched", "unmatched" (review it) or "never" (the person said so)
    outcome: str = "unmatched"
    candidates: list[dict] = field(default_factory=list)


def _tokens(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return set(_WORD.findall(folded))


def _candidate_rows(ranked, ids: dict[tuple[str, str], int]) -> list[dict]:
    rows = []
    for scored in ranked[:CANDIDATES_KEPT]:
        key = (str(scored.track.platform), scored.track.platform_id)
        if key in ids:
            rows.append(
                {
                    "track": ids[key],
                    "confidence": round(scored.confidence, 3),
                    "reasons": list(scored.reasons),
                }
            )
    return rows


def _queries(info) -> list[str]:
    build = getattr(matching, "search_queries", None)
    if build is not None:
        return list(build(info))
    who = " ".join(info.artists) if info.artists else info.channel
    return [f"{who} {info.title}".strip()]


class Resolver:
    """Resolves source tracks of one person to tracks of the target platform."""

    def __init__(
        self,
        *,
        user_id: int,
        target_platform: str,
        client: PlatformClient | None,
        target_tracks: list[Track],
        links: dict[int, int] | None = None,
        allow_search: bool = True,
        before_search: Callable[[], None] | None = None,
    ) -> None:
        self.user_id = user_id
        self.target_platform = target_platform
        self.client = client
        self.links = links or {}
        self.allow_search = allow_search and client is not None
        self.before_search = before_search
        self.searches = 0
        # Tracks of the target platform the person said never match anything here: no
        # song of this side is matched to one of them either (the other direction).
        self._refused = dict(
            MatchChoice.objects.filter(
                user_id=user_id, kind=MatchChoice.Kind.NEVER, source__platform=target_platform
            ).values_list("source_id", "source__platform_id")
        )
        self._refused_ids = set(self._refused.values())
        target_tracks = [t for t in target_tracks if t.pk not in self._refused]
        self._target = {t.pk: t for t in target_tracks}
        self._index: dict[str, set[int]] = defaultdict(set)
        for track in target_tracks:
            for token in _tokens(f"{track.title} {' '.join(track.artists or [])} {track.channel}"):
                self._index[token].add(track.pk)

    # --- cheap steps, in bulk -------------------------------------------------------

    def resolve(self, sources: list[Track], *, on_progress=None) -> dict[int, Resolution]:
        out: dict[int, Resolution] = {}
        pending = [s for s in sources if s.pk not in out]
        self._choices(pending, out)
        self._linked([s for s in pending if s.pk not in out], out)
        # Before the cache: an upload the person already has is never doubled by another.
        other_version = self._in_target([s for s in pending if s.pk not in out], out)
        searched_lately = self._cached([s for s in pending if s.pk not in out], out)
        for source_id, res in searched_lately.items():
            out[source_id] = other_version.get(source_id) or res
        rest = [s for s in pending if s.pk not in out]
        if not self.allow_search:
            for source in rest:
                out[source.pk] = Resolution(
                    source.pk, reasons=["needs a search"], method=MatchMethod.SEARCH
                )
            return out
        # Searches are stored in groups: a few queries per group, not per track. A crash
        # loses at most one group's results, which the next attempt searches again.
        done = 0
        for start in range(0, len(rest), STORE_EVERY):
            found: list[_Searched] = []
            try:
                for source in rest[start : start + STORE_EVERY]:
                    found.append(self._search(source))
                    done += 1
                    if on_progress:
                        on_progress(done, len(rest))
            finally:
                out.update(self._store(found))
        for source in rest:
            # The search found nothing better than the other version already there.
            if out.get(source.pk) is None or out[source.pk].outcome != "matched":
                if source.pk in other_version:
                    out[source.pk] = other_version[source.pk]
        return out

    def _choices(self, sources: list[Track], out: dict[int, Resolution]) -> None:
        choices = MatchChoice.objects.filter(
            user_id=self.user_id,
            target_platform=self.target_platform,
            source_id__in=[s.pk for s in sources],
        )
        for choice in choices:
            if choice.kind == MatchChoice.Kind.NEVER:
                out[choice.source_id] = Resolution(
                    choice.source_id, outcome="never", method=MatchMethod.PINNED,
                    reasons=["you chose never to match this"],
                )  # fmt: skip
            else:
                out[choice.source_id] = Resolution(
                    choice.source_id, choice.target_id, MatchMethod.PINNED, 1.0,
                    ["your own choice"], "matched",
                )  # fmt: skip

    def _linked(self, sources: list[Track], out: dict[int, Resolution]) -> None:
        for source in sources:
            target_id = self.links.get(source.pk)
            if target_id:
                out[source.pk] = Resolution(
                    source.pk, target_id, MatchMethod.EXISTING, 1.0,
                    ["synced together before"], "matched",
                )  # fmt: skip

    def _cached(self, sources: list[Track], out: dict[int, Resolution]) -> dict[int, Resolution]:
        """Cache hits go to ``out``; recent "nothing found" rows are returned (no search)."""
        searched_lately: dict[int, Resolution] = {}
        if not sources:
            return searched_lately
        by_id = {s.pk: s for s in sources}
        rows = MatchCache.objects.filter(
            target_platform=self.target_platform, source_id__in=list(by_id)
        )
        fresh_after = timezone.now() - NEGATIVE_CACHE_TTL
        hit_ids = []
        for row in rows:
            if row.target_id in self._refused:
                continue  # the person said that one never matches: search again
            if row.target_id:
                out[row.source_id] = Resolution(
                    row.source_id, row.target_id, MatchMethod.CACHE, row.confidence,
                    list(row.reasons), "matched",
                )  # fmt: skip
                hit_ids.append(row.pk)
            elif row.updated_at >= fresh_after:
                searched_lately[row.source_id] = Resolution(
                    row.source_id, method=MatchMethod.CACHE, confidence=row.confidence,
                    reasons=["no good match was found recently"], candidates=list(row.candidates),
                )  # fmt: skip
        # Another release of the same recording (same ISRC) already matched: reuse it.
        isrcs = {
            s.isrc: s for s in sources if s.isrc and s.pk not in out and s.pk not in searched_lately
        }
        if isrcs:
            siblings = MatchCache.objects.filter(
                target_platform=self.target_platform,
                source__isrc__in=list(isrcs),
                target__isnull=False,
            ).select_related("source")
            for row in siblings:
                source = isrcs.get(row.source.isrc)
                if (
                    source is not None
                    and source.pk not in out
                    and row.target_id not in self._refused
                ):
                    out[source.pk] = Resolution(
                        source.pk, row.target_id, MatchMethod.ISRC, row.confidence,
                        ["same ISRC as a matched release", *row.reasons], "matched",
                    )  # fmt: skip
                    hit_ids.append(row.pk)
        if hit_ids:
            MatchCache.objects.filter(pk__in=hit_ids).update(hits=F("hits") + 1)
        return searched_lately

    def _in_target(self, sources: list[Track], out: dict[int, Resolution]) -> dict[int, Resolution]:
        """An item already in the target that the matcher accepts needs no search.

        So does another upload of the same song that only the duration speaks against
        (an official video with an intro): the person has it already, and adding the
        Topic upload beside it would be a duplicate. A match that is another version
        (a studio track for a live video) is returned instead, for after the search.
        """
        other_version: dict[int, Resolution] = {}
        if not self._target:
            return other_version
        for source in sources:
            tokens = _tokens(f"{source.title} {' '.join(source.artists or [])} {source.channel}")
            hits: dict[int, int] = defaultdict(int)
            for token in tokens:
                for pk in self._index.get(token, ()):
                    hits[pk] += 1
            if not hits:
                continue
            best = sorted(hits, key=hits.get, reverse=True)[:20]
            candidates = [self._target[pk] for pk in best]
            info = source.to_info()
            infos = [c.to_info() for c in candidates]
            result = matching.match(info, infos)
            if result.choice is not None:
                found = Resolution(
                    source.pk, candidates[result.choice].pk, MatchMethod.EXISTING,
                    result.confidence, [IN_TARGET, *result.reasons], "matched",
                )  # fmt: skip
                if _other_version(result.reasons):
                    other_version[source.pk] = found
                else:
                    out[source.pk] = found
                continue
            near = _near_match(info, infos, result)
            if near is not None:
                out[source.pk] = Resolution(
                    source.pk, candidates[near.index].pk, MatchMethod.EXISTING,
                    near.confidence, [NEAR_MATCH, *near.reasons], "matched",
                )  # fmt: skip
        return other_version

    # --- search: the expensive step ---------------------------------------------------

    def _search(self, source: Track) -> _Searched:
        info = source.to_info()
        best = None
        chosen = None
        refused = ""
        seen: dict[tuple[str, str], object] = {}
        for query in _queries(info):
            if self.before_search:
                self.before_search()
            self.searches += 1
            try:
                found = self.client.search(query)
            except PlatformError as exc:
                if exc.kind != "bad_request":
                    raise
                # This song's query was refused (an odd title): the others go on.
                logger.warning("search refused for track %s: %s", source.pk, exc.message)
                refused = f"the {exc.platform} search refused the query: {exc.message}"
                continue
            for track in found:
                if track.platform_id not in self._refused_ids:
                    seen.setdefault((str(track.platform), track.platform_id), track)
            candidates = list(seen.values())
            best = matching.match(info, candidates)
            if best.choice is not None:
                chosen = candidates[best.choice]
                break
        return _Searched(source, list(seen.values()), best, chosen, refused)

    def _store(self, found: list[_Searched]) -> dict[int, Resolution]:
        """Stores a group of searches: their candidates, and the shared cache rows."""
        if not found:
            return {}
        ids = tracks_upsert(t for item in found for t in item.seen)
        out: dict[int, Resolution] = {}
        rows = []
        for item in found:
            best, chosen = item.best, item.chosen
            target_id = ids.get((str(chosen.platform), chosen.platform_id)) if chosen else None
            candidates = _candidate_rows(best.ranked, ids) if best is not None else []
            if best is not None and target_id:
                out[item.source.pk] = Resolution(
                    item.source.pk, target_id, MatchMethod.SEARCH, best.confidence,
                    list(best.reasons), "matched", candidates,
                )  # fmt: skip
                rows.append(MatchCache(
                    source=item.source, target_platform=self.target_platform,
                    target_id=target_id, confidence=best.confidence, method=MatchMethod.SEARCH,
                    reasons=list(best.reasons), candidates=[],
                ))  # fmt: skip
                continue
            confidence = best.confidence if best is not None else 0.0
            reasons = list(best.reasons) if best is not None and best.reasons else ["nothing found"]
            if item.refused and best is None:
                reasons = [item.refused]
            out[item.source.pk] = Resolution(
                item.source.pk, None, MatchMethod.SEARCH, confidence, reasons, "unmatched",
                candidates,
            )  # fmt: skip
            rows.append(MatchCache(
                source=item.source, target_platform=self.target_platform, target_id=None,
                confidence=confidence, method=MatchMethod.SEARCH, reasons=reasons,
                candidates=candidates,
            ))  # fmt: skip
        MatchCache.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["source", "target_platform"],
            update_fields=["target", "confidence", "method", "reasons", "candidates", "updated_at"],
        )
        return out


@dataclass
class _Searched:
    source: Track
    seen: list
    best: object
    chosen: object
    refused: str = ""  # why the platform refused the search, when it did


def _other_version(reasons) -> bool:
    return any(r.startswith(_VERSION_REASONS) for r in reasons)


def _near_match(info, infos, result):
    """The candidate the matcher accepts once durations are set aside, if only they differ."""
    if info.duration_ms is None:
        return None
    again = matching.match(
        replace(info, duration_ms=None), [replace(c, duration_ms=None) for c in infos]
    )
    if again.choice is None or _other_version(again.reasons):
        return None
    duration = infos[again.choice].duration_ms
    if duration is None or abs(duration - info.duration_ms) > NEAR_MATCH_DURATION_MS:
        return None
    return next(r for r in result.ranked if r.index == again.choice)
