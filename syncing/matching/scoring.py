"""Score candidates against a source track and decide: a match, a suggestion, or none."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Indel
from rapidfuzz.fuzz import partial_ratio

from platforms.types import Platform, Track

from .normalize import (
    PLAYED_BY_UPLOADER,
    Channel,
    Parsed,
    is_noise,
    parse_spotify,
    parse_youtube,
    strip_trailing_noise,
    version_tags,
    words,
)

# Chosen on half of the development artists (docs/matching.md): the lowest threshold
# at which precision and false accepts stop improving; below it, false accepts climb.
ACCEPT_THRESHOLD = 0.70
# Between the two: shown in the review queue as a suggestion, never applied alone.
REVIEW_THRESHOLD = 0.45

# Spotify and YouTube uploads of one recording differ by a few seconds (intros,
# silence); more than this means another edit or another recording.
DURATION_TOLERANCE_MS = 7_000
DURATION_FAR_MS = 30_000


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    index: int
    track: Track
    confidence: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    choice: int | None
    confidence: float
    reasons: tuple[str, ...]
    ranked: list[ScoredCandidate] = field(default_factory=list)

    @property
    def suggestion(self) -> ScoredCandidate | None:
        """The best candidate when it is worth showing a person (accepted or not)."""
        if self.ranked and self.ranked[0].confidence >= REVIEW_THRESHOLD:
            return self.ranked[0]
        return None


def parse_track(track: Track) -> Parsed:
    if track.platform is Platform.YOUTUBE:
        return parse_youtube(track)
    return parse_spotify(track)


def _similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """0..1; below ``cutoff`` it may say 0, which lets rapidfuzz stop early."""
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return 1.0
    return Indel.normalized_similarity(a, b, score_cutoff=cutoff)


def _contains(name: str, text: str) -> bool:
    return f" {name} " in f" {text} "


# A title found whole inside a longer part of the video title ("Paper Lanterns 2020
# Tribute") scores this: enough with the artist for a suggestion, not alone a match.
CONTAINED_TITLE = 0.8


# Where title_agreement found the title, besides a segment's index.
_NOWHERE = -1  # nowhere, or only in the words left when the artist's name is taken out
_IN_ALT_READING = -2  # in a reading that joins parts ("Work - Movement" after "Composer: ")


def title_agreement(spotify: Parsed, video: Parsed, names: Sequence[str]) -> tuple[float, int]:
    """How well the Spotify title agrees with the best part of the video title.

    Returns the similarity (0..1) and the index of the segment that holds the title,
    or _NOWHERE or _IN_ALT_READING.
    """
    core = spotify.core
    best, where, matched = 0.0, _NOWHERE, ""
    for title in (core, *spotify.alt_titles):
        for i, seg in enumerate(video.segments):
            # The artist's part, or the film or album a song is from, is not its title
            # ("MiraBaby" is not "Baby"; "| Long Summer (Original Soundtrack)" not the song).
            if seg.work or (seg.text in names and seg.text != title):
                continue
            for v in seg.variants:
                # Only a closer reading counts, so anything below ``best`` may stop early.
                s = _similarity(title, v, best)
                if s > best:
                    best, where, matched = s, i, v
            if best == 1.0:
                return best, where
        for v in video.alt_titles:
            s = _similarity(title, v, best)
            if s > best:
                best, where, matched = s, _IN_ALT_READING, v
    if video.quiet_titles and is_noise(core):
        # A song called "Single" or "Musica": its title is all noise words.
        for v in video.quiet_titles:
            if _similarity(core, v) == 1.0:
                return 1.0, _NOWHERE
    if best < CONTAINED_TITLE and len(core) >= 4:
        # "Paper Lanterns 2020 Tribute": the whole title inside a longer part.
        # Not inside the artist's own name: "Undead" is not in "Hollywood Undead".
        holders = [n for n in names if _contains(core, n)]
        for i, seg in enumerate(video.segments):
            v = seg.variants[-1]
            # Not inside the artist's own part: "Undead" is not in "Hollywood Undead - X".
            if seg.work:
                continue
            for n in holders:
                if _contains(n, v):
                    v = " ".join(f" {v} ".replace(f" {n} ", " ").split())
            if _contains(core, v):
                best, where, matched = CONTAINED_TITLE, i, v
                break
    # "mira solis paper lanterns (music video)", "Mira Solis-Paper Lanterns": no
    # separator, so take the artist's name out and compare what is left.
    if best < 0.9:
        for name in names:
            if _contains(name, video.flat):
                rest = f" {video.flat} ".replace(f" {name} ", " ", 1)
                rest = strip_trailing_noise(" ".join(w for w in rest.split() if w not in _GLUE))
                s = _similarity(core, rest, best)
                if s > best:
                    best, where, matched = s, _NOWHERE, rest
    if best < 1.0:
        numbers = _numbers(core)
        if numbers != _numbers(matched) and (numbers or _PART_RE.search(matched)):
            # "Night Drive" vs "Night Drive 2", "Part 1" vs "Part 12": another part.
            best *= NUMBER_MISMATCH_FACTOR
    return best, where


NUMBER_MISMATCH_FACTOR = 0.7
_PART_RE = re.compile(
    r"\b(?:pt|part|parte|vol|volume|no|nr|teil|folge|chapter|episode|ep)(?:\s*\d|\s+[ivx]+\b)"
)
_ROMAN_PART_RE = re.compile(r"\b(?:pt|part|parte|vol|volume|chapter|book)\s+([ivx]+)\b")


@lru_cache(maxsize=8192)
def _numbers(text: str) -> frozenset[str]:
    # Years are mostly upload noise ("1998", "2011 Remaster"), not part numbers.
    found = {w for w in text.split() if w.isdigit() and not (len(w) == 4 and w[:2] in ("19", "20"))}
    # "Pt. II", "Part IV": roman numerals count after a part word.
    found.update(m.group(1) for m in _ROMAN_PART_RE.finditer(text))
    return frozenset(found)


# Words that join an artist's name to a title without a separator.
_GLUE = frozenset({"by", "ft", "feat", "featuring", "x", "and", "with", "de", "von", "of"})


def _name_found(name: str, text: str, squashed: str) -> float:
    """How surely the artist ``name`` appears in a track's words (0..1)."""
    if _contains(name, text):
        return 1.0
    if name.startswith("the ") and len(name) > 8 and _contains(name[4:], text):
        # "Harbor Kids" for "The Harbor Kids".
        return 1.0
    sq = name.replace(" ", "")
    # Run-together names ("dojacatVEVO", "MiraSolisVEVO") need enough letters to be safe.
    if len(sq) >= 4 and sq in squashed:
        return 1.0
    tokens = [t for t in name.split() if len(t) > 2 and t not in _NAME_FILLERS]
    if len(tokens) > 1:
        found = sum(1 for t in tokens if _contains(t, text))
        # "Ana Reyes" in "Luis, Ana y Marta Reyes".
        if found == len(tokens):
            return 0.9
        # "Johann von Albrecht Keller" as "Johann Keller".
        if found >= 2 and found / len(tokens) >= 0.6:
            return 0.85
    if len(sq) >= 6:
        return partial_ratio(name, text, score_cutoff=88) / 100
    return 0.0


@lru_cache(maxsize=4096)
def _initials(name: str) -> str:
    """ "n w a" -> "nwa" (written with dots), "nine inch nails" -> "nin"; else ""."""
    parts = name.split()
    if len(parts) >= 2 and all(len(p) == 1 for p in parts):
        return "".join(parts)
    if len(parts) >= 3 and all(p.isalpha() for p in parts):
        return "".join(p[0] for p in parts)
    return ""


_NAME_FILLERS = frozenset({"the", "and", "los", "las", "del", "des", "der", "die", "les", "von"})


def _short_form(shown: str, name: str) -> bool:
    """Whether ``shown`` is ``name`` without some of its words ("harbor kids")."""
    if shown == name or len(shown) < 4:
        return False
    ours = set(name.split())
    theirs = shown.split()
    return all(t in ours for t in theirs) and any(
        len(t) >= 4 and t not in _NAME_FILLERS for t in theirs
    )


def _channel_is(name: str, channel: Channel) -> bool:
    if not channel.squashed:
        return False
    sq = name.replace(" ", "")
    if sq == channel.squashed:
        return True
    if len(sq) >= 4 and len(channel.squashed) >= 4:
        if sq in channel.squashed or channel.squashed in sq:
            return True
    return _similarity(sq, channel.squashed, 0.85) >= 0.85


@dataclass(frozen=True, slots=True)
class _Evidence:
    title: float
    artist: float  # 1 lead artist agrees, ~0.9 credited elsewhere, 0 not found
    who: str
    lead: bool  # the artist is the video's lead (channel or artist part), not a guest
    other_artist: bool  # the video shows an artist and it is not ours
    album: bool
    uncredited: tuple[str, ...] = ()


def _evidence(spotify: Parsed, video: Parsed) -> _Evidence:
    names = spotify.artists + spotify.featured
    t, where = title_agreement(spotify, video, names)
    best, who, lead, lead_segment = 0.0, "", False, -1
    channel = video.channel
    for n, name in enumerate(names):
        guest = n >= len(spotify.artists)
        found, is_lead, segment = 0.0, False, -1
        if channel is not None and _channel_is(name, channel):
            found, is_lead = 1.0, True
        for i, seg in enumerate(video.segments):
            if i != where and _contains(name, seg.text):
                found, segment = 1.0, i
                # Named second in "Ana Reyes, Mira Solis, Kai Varga": a guest, not the lead;
                # named in "(Mira Solis Cover)" or "(Ortega Remix)": not the performer.
                is_lead = is_lead or (
                    not version_tags(seg.text) and (not seg.names or _contains(name, seg.names[0]))
                )
                break
        if not found and where != _NOWHERE:
            # "Harbor Kids" for "The Harbor Kids", "Solis" for "Solis 21": the video's artist
            # part names a shorter form of ours.
            first_words = set(name.split())
            for i, seg in enumerate(video.segments):
                if i == where or seg.text.split(" ", 1)[0] not in first_words:
                    continue
                if version_tags(seg.text):
                    # "(Sped Up)" is not a short form of the uploader "sped up nightcore".
                    continue
                if seg.names and _short_form(seg.names[0], name):
                    found, segment, is_lead = 0.85, i, True
                    break
        if not found and where != _NOWHERE:
            # "NWA - Alwayz Into Somethin'" for N.W.A., "NIN - ..." for Nine Inch Nails: the
            # artist part is the name's letters run together.
            letters = _initials(name)
            for i, seg in enumerate(video.segments):
                if i != where and letters and seg.names and seg.names[0] == letters:
                    found, segment, is_lead = 0.85, i, True
                    break
        if not found:
            found = _name_found(name, video.text, video.squashed)
        if guest:
            found *= 0.9
            is_lead = False
        if found > best or (found == best and is_lead and not lead):
            best, who, lead, lead_segment = found, name, is_lead, segment
        if best >= 1.0 and lead:
            break
    if best and spotify.core in names and video.text.count(spotify.core) < 2:
        # A song named after its artist ("Mira Solis" by Mira Solis) needs the name twice.
        best, who, lead = 0.0, "", False
    # Parts of the video title besides the one that holds the song's title.
    other_parts = len(video.segments) - (1 if where >= 0 else 0)
    shows_artist = (channel is not None and channel.is_artist) or other_parts > 0
    album = False
    if not best:
        album = any(_album_named(w, spotify, video, where) for w in spotify.works)
    uncredited = _uncredited(names, video, lead_segment) if best else ()
    return _Evidence(t, best, who, lead, shows_artist and not best, album, uncredited)


def _album_named(work: str, spotify: Parsed, video: Parsed, where: int) -> bool:
    if not _contains(work, video.text):
        return False
    if not any(_contains(work, t) for t in (spotify.core, *spotify.alt_titles)):
        return True
    # An album whose name is inside the song's title ("Christmas" for "Home for
    # Christmas") is in every upload of that title: only a part of its own counts
    # ("Hamilton: Alexander Hamilton").
    return any(i != where and _contains(work, seg.text) for i, seg in enumerate(video.segments))


def _uncredited(names: Sequence[str], video: Parsed, lead_segment: int) -> tuple[str, ...]:
    """Artists the video shows beside ours that the Spotify track does not credit.

    "Mira Solis, Kai Varga - Paper Lanterns" may be Kai Varga's remake, and
    "Paper Lanterns ft. Ivy Lane" another recording than the solo one.
    """
    shown: list[tuple[str, str]] = [("guest", f) for f in video.featured]
    if lead_segment >= 0:
        shown += [("co-artist", n) for n in video.segments[lead_segment].names]
    if video.channel is not None and video.channel.is_artist:
        shown.append(("channel", video.channel.name))
    out = []
    seen: set[str] = set()
    for kind, n in shown:
        sq = n.replace(" ", "")
        if len(sq) < 2 or sq in seen:
            continue
        seen.add(sq)
        if any(_contains(o, n) or _contains(n, o) or _same_name(o, sq) for o in names):
            continue
        out.append(f"{n} ({kind})")
    return tuple(dict.fromkeys(out))


def _same_name(name: str, squashed: str) -> bool:
    """One artist written two ways: "orchestrelumireVEVO" dropped the accented letter
    of "Orchestre Lumière", as channel names often do."""
    ours = name.replace(" ", "")
    if ours == squashed:
        return True
    return min(len(ours), len(squashed)) >= 6 and _similarity(ours, squashed, 0.9) >= 0.9


def _pair(spotify: Parsed, video: Parsed) -> tuple[float, list[str], _Evidence]:
    """Confidence that ``spotify`` and ``video`` are the same recording, with reasons."""
    ev = _evidence(spotify, video)
    reasons = [f"title {ev.title:.2f}"]
    if ev.artist:
        role = "lead" if ev.lead else "credited"
        reasons.append(f"artist {ev.who!r} {role} {ev.artist:.2f}")
    elif ev.album:
        reasons.append("album named")
    elif ev.other_artist:
        reasons.append("another artist shown")
    else:
        reasons.append("artist not shown")
    if ev.uncredited:
        reasons.append("also by " + ", ".join(ev.uncredited))
    return _combine(ev), reasons, ev


def _combine(ev: _Evidence) -> float:
    # Titles below half alike say nothing; the artist decides how far a title can go:
    # with the artist, a close title is a match; without, at best a suggestion.
    t = max(0.0, (ev.title - 0.5) / 0.5)
    if ev.artist >= 0.85:
        return 0.4 + 0.6 * t
    if ev.artist:
        return (0.4 + 0.6 * t) * ev.artist
    if ev.album:
        return 0.3 + 0.55 * t
    if ev.other_artist:
        return 0.3 * t
    return 0.6 * t


# How far a version difference moves the confidence. A candidate that is a version the
# source is not (a karaoke for a studio song) is a different recording; a source that
# is a version its candidate does not announce is weaker evidence, since uploads often
# leave "live" or "acoustic" out of a title but rarely "karaoke" or "sped up".
EXTRA_VERSION_FACTOR = 0.5
MISSING_VERSION_FACTOR = {"live": 0.85, "acoustic": 0.85, "remix": 0.7}
MISSING_ON_SPOTIFY_FACTOR = {"live": 0.85, "acoustic": 0.85}
MISSING_VERSION_DEFAULT = 0.5


def _penalties(
    source: Parsed,
    cand: Parsed,
    conf: float,
    reasons: list[str],
    *,
    title: str,
    covered_by_artist: bool,
) -> float:
    extra = cand.versions - source.allowed_versions
    missing = source.versions - cand.allowed_versions
    if extra or missing:
        # A version word inside the song's own title ("Live Forever", "Flip the Switch")
        # is no marker.
        excused = version_tags(title) | ({"cover"} if covered_by_artist else set())
        if "acoustic" in extra and "cover" in source.allowed_versions | excused:
            # "(Bedroom Tapes acoustic cover)" for Bedroom Tapes' own cover of the song:
            # "acoustic" says how the cover is played, it is not another version of it.
            video = cand if cand.platform is Platform.YOUTUBE else source
            if _ACOUSTIC_COVER_RE.search(video.text):
                excused |= {"acoustic"}
        extra, missing = extra - excused, missing - excused
    if extra:
        conf *= EXTRA_VERSION_FACTOR
        reasons.append("candidate is " + ", ".join(sorted(extra)))
    if missing:
        factors = MISSING_VERSION_FACTOR
        if cand.platform is Platform.SPOTIFY:
            # Spotify titles say "- Remix": a track that does not is not one.
            factors = MISSING_ON_SPOTIFY_FACTOR
        conf *= min(factors.get(v, MISSING_VERSION_DEFAULT) for v in missing)
        reasons.append("candidate is not " + ", ".join(sorted(missing)))
    if (
        source.remixer
        and cand.remixer
        and not (source.remixer in cand.remixer or cand.remixer in source.remixer)
    ):
        # Both remixes, by different people: "Kovalenko Remix" is not the "Ortega Remix".
        conf *= EXTRA_VERSION_FACTOR
        reasons.append(f"remix by {cand.remixer}, not {source.remixer}")
    if source.duration_ms and cand.duration_ms:
        diff = abs(source.duration_ms - cand.duration_ms)
        if diff <= DURATION_TOLERANCE_MS:
            reasons.append("duration agrees")
        elif diff >= DURATION_FAR_MS:
            conf *= 0.6
            reasons.append(f"duration differs by {diff // 1000}s")
        else:
            conf *= 0.85
            reasons.append(f"duration differs by {diff // 1000}s")
    return conf


_ACOUSTIC_COVER_RE = re.compile(r"\bacoustic (?:\w+ )?cover\b")
_PLAYED_COVER_RE = re.compile(
    r"\b(?:piano|guitar|drum|drums|bass|violin|cello|ukulele|sax|saxophone|flute|harp|kalimba"
    r"|harmonica|accordion|trumpet|fingerstyle|metal|rock|punk|ai)\s+cover\b"
    r"|\b(?:" + "|".join(map(re.escape, PLAYED_BY_UPLOADER)) + r")\b"
)
_COVER_BY_RE = re.compile(r"\b(?:covered by|cover by|cover de|cover von|cover par)\s+(.+)$")


def _cover_performer(video: Parsed) -> str:
    """Who performs a cover the video names ("... cover by bedroom tapes"), or ""."""
    match = _COVER_BY_RE.search(video.full)
    if match:
        return match.group(1).strip()
    channel = video.channel
    if _PLAYED_COVER_RE.search(video.text):
        # "Mira Solis - Paper Lanterns (Piano Cover)", "(Parody)": the uploader plays Mira
        # Solis' song.
        return channel.name if channel is not None and channel.name else "the uploader"
    if channel is not None and len(channel.name) >= 4:
        # "Song - Mira Solis (Bedroom Tapes acoustic cover)" on Bedroom Tapes' channel.
        for seg in video.segments:
            text = words(seg.raw)
            if _contains(channel.name, text) and "cover" in version_tags(text):
                return channel.name
    return ""


def score(source: Parsed, cand: Parsed) -> tuple[float, tuple[str, ...], float]:
    """Confidence that ``cand`` is ``source``'s recording, the reasons, and a tie-breaker."""
    spotify, video = (source, cand) if source.platform is Platform.SPOTIFY else (cand, source)
    if spotify.isrc and spotify.isrc == video.isrc:
        return 1.0, ("isrc equal",), 1.0
    conf, reasons, ev = _pair(spotify, video)
    # "Jonah Pike - Song (Mira Solis Cover)" on Spotify is Jonah Pike's "Song": a cover
    # by the Spotify artist is that artist's recording, labelled or not.
    # ...but "Song - Jonah Pike | Cover by Bedroom Tapes" is Bedroom Tapes' recording.
    own_cover = False
    if ev.lead:
        performer = _cover_performer(video)
        own_cover = not performer or any(name and name in performer for name in spotify.artists)
    conf = _penalties(source, cand, conf, reasons, title=spotify.core, covered_by_artist=own_cover)
    # Among equally confident candidates prefer the artist's own upload, with no
    # uncredited guests, whose full title (qualifiers too) is closest.
    tiebreak = (
        (0.5 if ev.lead else 0.0)
        - 0.1 * len(ev.uncredited)
        + 0.2 * _similarity(spotify.full, video.full)
    )
    return max(0.0, min(1.0, conf)), tuple(reasons), tiebreak


def match(source: Track, candidates: Sequence[Track]) -> MatchResult:
    """The best candidate for ``source`` (or none), with confidence and reasons.

    ``ranked`` lists every candidate, best first, for the review queue.
    """
    if not candidates:
        return MatchResult(choice=None, confidence=0.0, reasons=("no candidates",), ranked=[])
    src = parse_track(source)
    scored = []
    for i, cand in enumerate(candidates):
        conf, reasons, tiebreak = score(src, parse_track(cand))
        scored.append((-round(conf, 4), -tiebreak, i, conf, reasons))
    scored.sort()
    ranked = [
        ScoredCandidate(index=i, track=candidates[i], confidence=conf, reasons=reasons)
        for _, _, i, conf, reasons in scored
    ]
    best = ranked[0]
    if best.confidence >= ACCEPT_THRESHOLD:
        return MatchResult(best.index, best.confidence, best.reasons, ranked)
    return MatchResult(None, best.confidence, ("below threshold", *best.reasons), ranked)
