"""Text normalisation for matching: folding, title parsing, noise and version words.

Everything here is pure and cheap. A track is parsed once into :class:`Parsed`; the
scorer then only compares the parsed forms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

try:
    from anyascii import anyascii
except ImportError:  # pragma: no cover - the pinned requirement; this keeps imports working

    def anyascii(text: str) -> str:
        # Without transliteration, at least fold accents ("Dança" -> "Danca").
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


from platforms.types import Platform, Track

# --- folding -------------------------------------------------------------------------

# Emoji and other pictographs would transliterate to ":name:" words; drop them first.
_SYMBOLS_RE = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u2bff\u3030\u303d\ufe0f\u200d"
    "\U0001f000-\U0001faff\U000e0000-\U000e007f]+"
)
# Unicode-aware, so a script left untransliterated (no anyascii) still has words.
_NON_WORD = re.compile(r"[\W_]+")
_DOLLAR_RE = re.compile(r"(?<=\w)\$|\$(?=[a-zA-Z])")


def _strip_symbols(text: str) -> str:
    return text if text.isascii() else _SYMBOLS_RE.sub(" ", text)


def fold(text: str) -> str:
    """Case-, accent- and script-folded text with punctuation kept.

    Both sides go through the same transliteration, so "Dança" meets "Danca" and
    "Ёлка" meets "Elka"; scripts the other side wrote natively still compare equal.
    """
    text = text or ""
    if not text.isascii():
        text = anyascii(_strip_symbols(unicodedata.normalize("NFKC", _unmangle(text))))
    # "Ke$ha"-style names ("Ca$h Kid"): the dollar is a letter.
    text = (_DOLLAR_RE.sub("s", text) if "$" in text else text).casefold()
    return _CENSORED_RE.sub(_uncensor, text) if "*" in text else text


# Uploads and some releases star out a swear word ("Sh*t", "F**kin'", "A*****e"), others
# print it whole. A starred word that fits one of these, letter for letter, reads as it.
_SWEAR_WORDS = tuple(
    """
    fuck fucks fucked fucker fuckers fucking fuckin motherfucker motherfuckers shit shits
    bullshit bitch bitches asshole assholes ass damn goddamn dick pussy hell cunt
    """.split()
)
_CENSORED_RE = re.compile(r"(?<![\w*])[^\W\d_]*\*[\w*]*")


def _uncensor(m: re.Match[str]) -> str:
    starred = m.group(0)
    if starred.strip("*") == "":
        return starred
    for word in _SWEAR_WORDS:
        if len(word) == len(starred) and all(
            c in ("*", w) for c, w in zip(starred, word, strict=True)
        ):
            return word
    return starred


# UTF-8 read as Latin-1 somewhere upstream: "MÃ­o" for "Mío", "CafÃ©" for "Café".
_MOJIBAKE_RE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")


def _unmangle(text: str) -> str:
    if not _MOJIBAKE_RE.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:  # mixed text, or really Latin-1: leave it as it is
        return text


def words(text: str) -> str:
    """Folded text reduced to words separated by single spaces (no punctuation).

    Part numbers read one way: "Pt. II", "Part Two" and "part 2" are all "part 2".
    """
    out = _NON_WORD.sub(" ", text.replace("'", "")).strip()
    if "pt" in out or "part" in out:
        out = _PART_NUMBER_RE.sub(_part_number, out)
    return out


_PART_NUMBERS = {
    **{roman: str(n) for n, roman in enumerate("i ii iii iv v vi vii viii ix x".split(), 1)},
    **{
        word: str(n)
        for n, word in enumerate("one two three four five six seven eight nine ten".split(), 1)
    },
}
_PART_NUMBER_RE = re.compile(
    r"\b(?:pt|part|parte)\s+(\d+|" + "|".join(sorted(_PART_NUMBERS, key=len, reverse=True)) + r")\b"
)


def _part_number(m: re.Match[str]) -> str:
    return "part " + _PART_NUMBERS.get(m.group(1), m.group(1))


def squash(text: str) -> str:
    """Words run together, so "dojacatVEVO" can contain "Doja Cat"."""
    return _NON_WORD.sub("", text.replace("'", ""))


# --- vocabulary ---------------------------------------------------------------------

# Words that describe the upload, not the recording, in the languages the platforms
# see most. A bracket made only of these (and years, "prod. X") is dropped.
NOISE_WORDS = frozenset(
    """
    official oficial officiel officiele offiziell offizielles offizielle ufficiale oficjalny
    resmi resmi klip rasmi
    music musica musique musik muzik muzika musical
    video videos vide clip clipe clipa videoclip videoklip videoclipe klip musicvideo
    audio lyric lyrics lyrical letra letras paroles testo songtext sozleri lirik
    visualizer visualiser visualisation visualization
    hd hq uhd 4k 8k 1080p 720p 60fps mv m v pv
    full song songs version versao ver
    remaster remastered remasterizado remasterizada remasterise remastered
    explicit clean dirty uncensored censored
    new nuevo nueva exclusive exclusiva estreno premiere quality
    en con with de the a and e y of by in
    original mono stereo single edit radio
    """.split()
)
# Noise words that are also common title words ("Music", "Video", "Love Song"):
# only stripped from the end of a segment or inside brackets, never from the middle.

# Versions that are different recordings from the song. Keys are canonical names;
# values are folded word sequences that announce them.
# Covers nobody plays as their own song: whoever's name leads the title, the uploader
# plays it ("Mira Solis - Paper Lanterns (Parody)").
PLAYED_BY_UPLOADER = (
    "parody",
    "8 bit",
    "8bit",
    "chiptune",
    "music box",
    "lullaby version",
    "lullaby rendition",
)
VERSION_MARKERS: dict[str, tuple[str, ...]] = {
    "live": (
        "live",
        "en vivo",
        "ao vivo",
        "en directo",
        "dal vivo",
        "en concierto",
        "en concert",
        "in concert",
        "live at",
        "unplugged",
        "canli",
        "na zywo",
        "concert",
    ),
    "remix": ("remix", "rmx", "remixed", "bootleg", "mashup", "vip mix", "club mix", "flip"),
    # Somebody else playing the song, also as a parody or as a baby's music-box lullaby.
    "cover": (
        "cover",
        "covered by",
        "covers",
        "remake",
        "tribute to",
        "a tribute",
        *PLAYED_BY_UPLOADER,
    ),
    "acoustic": (
        "acoustic",
        "acustico",
        "acustica",
        "acoustique",
        "akustik",
        "akustisch",
        "stripped",
    ),
    # The song arranged anew, by its artist or not: another recording.
    "arrangement": tuple(
        f"{style} {word}"
        for style in (
            "piano",
            "orchestral",
            "orchestra",
            "symphonic",
            "string",
            "strings",
            "jazz",
            "reggae",
            "rock",
            "metal",
            "punk",
            "country",
            "gospel",
            "choir",
            "bossa nova",
        )
        for word in ("version", "ver", "arrangement")
    ),
    # Spoken tracks about the songs of an album.
    "commentary": ("commentary",),
    "a cappella": ("a cappella", "a capella", "acapella", "acappella", "vocals only"),
    "demo": ("demo", "demo version"),
    # "Sing-Along" uploads (Disney, kids' channels) are lyric videos of the original
    # recording, vocals and all: not karaoke.
    "karaoke": ("karaoke",),
    "instrumental": ("instrumental", "instrumentale", "backing track", "minus one"),
    "nightcore": ("nightcore",),
    "sped up": ("sped up", "speed up", "spedup", "speedup", "sped"),
    "slowed": ("slowed", "slowed reverb", "reverb", "chopped and screwed", "chopped screwed"),
    "bass boosted": ("bass boosted", "bassboosted", "bass boost"),
    "8d": ("8d", "8d audio"),
    "lofi": ("lofi", "lo fi", "lofi remix", "chillhop"),
    # An artist's own new recording of an old song ("Love Story (Taylor's Version)").
    "re-recording": (
        "re recorded",
        "rerecorded",
        "re recording",
        "rerecording",
        "re record",
        "taylors version",
    ),
    # A whole album in one video is not one of its songs.
    "full album": ("full album", "album completo", "album complet", "full ep", "full mixtape"),
    # Part of the song (a teaser, a YouTube Short), or the song looped for an hour.
    "excerpt": ("teaser", "trailer", "snippet", "preview", "shorts"),
    "loop": (
        "1 hour",
        "one hour",
        "2 hours",
        "3 hours",
        "10 hours",
        "10 hour",
        "1 hr",
        "hour loop",
        "hours loop",
        "hour version",
    ),
    # Videos about the song, not of it.
    "reaction": ("reaction", "reacts", "reacting"),
    # Not "chords": worship uploads show the chords over the original recording.
    "lesson": ("tutorial", "lesson", "how to play"),
    "behind the scenes": ("behind the scenes", "making of", "interview"),
}
_VERSION_RE = {
    name: re.compile(r"\b(?:" + "|".join(re.escape(m) for m in markers) + r")\b")
    for name, markers in VERSION_MARKERS.items()
}
# One look for "any version word at all" keeps the common case (none) fast: each
# marker's least common word, looked up among the text's words, before any pattern.
_COMMON_MARKER_WORDS = frozenset(
    {"a", "at", "by", "in", "of", "to", "up", "lo", "audio", "music", "version"}
)
_VERSION_KEYWORDS = frozenset(
    max(
        (w for w in marker.split() if w not in _COMMON_MARKER_WORDS),
        key=len,
        default=marker.split()[0],
    )
    for markers in VERSION_MARKERS.values()
    for marker in markers
)

# Featured-artist markers. "with" and "x" only count as separators between names.
_FEAT_RE = re.compile(r"\b(?:feat|ft|featuring|feats)\b\.?")
_WITH_RE = re.compile(r"\b(?:feat|ft|featuring|with|con|part|participacao|avec)\b\.?")
_ARTIST_SPLIT_RE = re.compile(r"\s*(?:,|&|\+|/|\bx\b|\band\b|\by\b|\be\b|\bvs\b\.?|;)\s*")

_BRACKETS_RE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}|【([^】]*)】|<([^<>]*)>")
# Japanese and Korean uploads quote the title: Artist「Title」, Artist 'Title' MV.
_QUOTED_RE = re.compile(r"[「『]([^」』]+)[」』]|\"([^\"]{2,})\"|(?:^|\s)'(.{2,}?)'(?=\s|$)")
_QUOTE_RE = re.compile("[「『\"']")
# Segment separators in free-form video titles: spaced dashes, pipes, slashes, colons.
# Each starts with a lookahead on the characters a separator can begin with: without
# it every alternative is tried at every position, the slowest step of parsing a video.
_SEPARATOR_RE = re.compile(
    r"(?=[\s\-\u2013\u2014~|\u2502/:])"
    r"(?:\s+[-\u2013\u2014~]+\s*|\s*[-\u2013\u2014~]+\s+|\s*[|\u2502]{1,2}\s*|\s+/{1,2}\s*"
    r"|\s*/{1,2}\s+|//|:\s+|\s_\s)"
)
_STRONG_SEPARATOR_RE = re.compile(
    r"(?=[\s|\u2502])(?:\s+[-\u2013\u2014~]+\s+|\s*[|\u2502]{1,2}\s*)"
)
# Where CJK text meets Latin text ("陳明 Ming Chen【夜空 Night Sky】") the two usually say
# the same thing twice (native name, then translation): treat the boundary as a separator.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_QUOTED_RE = re.compile(r"([「『][^」』]*[」』])")
_LENTICULAR_RE = re.compile(r"【([^【】]+)】")
_FULLWIDTH_PARENS = str.maketrans("（）", "()")
# "ROLLER prod. by Lucry & Suena": the producers are not part of the title.
_PRODUCED_BY_RE = re.compile(r"\s+[(\[]?(?:prod|produced)\.?\s+by\b.*$", re.IGNORECASE)
_SCRIPT_BOUNDARY_RE = re.compile(rf"(?<=[{_CJK}])\s*(?=[A-Za-z])|(?<=[A-Za-z])\s*(?=[{_CJK}])")
# A part of a video title that names where the song is from, not the song.
_WORK_RE = re.compile(r"\b(?:soundtrack|ost|motion picture|video game|netflix)\b")
_FROM_WORK_RE = re.compile(r"^(?:from|de|aus|tema de)\b")
_WORK_NAME_RE = re.compile(
    r"([^|()\[\]\-\u2013\u2014/:]+?)\s*[(\[]\s*(?:(?:the|original|official|motion|picture|"
    r"video|game|tv|series|movie|film|complete|deluxe|edition|music|from|soundtrack|ost|score)"
    r"\s*)*(?:soundtrack|ost|score)\s*[)\]]"
)
_TRACK_NUMBER_RE = re.compile(r"^\s*\d{1,2}[.)]\s+(?=\D)")
_YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
_PROD_RE = re.compile(r"^\s*(?:prod|produced|dir|directed|shot|video by|mixed)\b")


_REMIXER_RE = re.compile(r"((?:[a-z0-9]+ ){1,3})(?:remix|rmx|bootleg|flip)\b")


def remixer(parts: list[str]) -> str:
    """The name before "remix" in the first part that has one ("kovalenko")."""
    for part in parts:
        m = _REMIXER_RE.search(part)
        if m:
            name = " ".join(w for w in m.group(1).split() if w not in NOISE_WORDS)
            if name:
                return name
    return ""


# "(Cover Audio)" on a label's channel is the song over its album cover, not a cover.
_COVER_ART_RE = re.compile(r"\b(?:cover audio|audio cover|cover art|album cover)\b")


# "{Acapella Intro}": the video opens with the voice alone, then plays the recording.
_VOICE_INTRO_RE = re.compile(
    r"\b(?:a cappella|a capella|acapella|acappella|instrumental) (?:intro|outro)\b"
)


def version_tags(text: str) -> frozenset[str]:
    """Canonical version names announced in already-folded ``text``."""
    if _VERSION_KEYWORDS.isdisjoint(_NON_WORD.split(text)):
        return frozenset()
    if "cover" in text:
        text = _COVER_ART_RE.sub(" ", text)
    if "tro" in text:
        text = _VOICE_INTRO_RE.sub(" ", text)
    return frozenset(name for name, rx in _VERSION_RE.items() if rx.search(text))


def is_noise(segment_words: str, *, bracket: bool = False) -> bool:
    """True when a bracket or segment says nothing about which song it is.

    Numbers count as noise only in brackets ("(2011)"): "44" or "3:15" can be a title.
    """
    if not segment_words:
        return True
    if _PROD_RE.match(segment_words):
        return True
    parts = segment_words.split()
    # The set test settles most segments without a Python loop.
    if NOISE_WORDS.issuperset(parts):
        return True
    return bracket and all(w in NOISE_WORDS or w.isdigit() for w in parts)


def strip_trailing_noise(segment_words: str) -> str:
    """Drop a run of noise words at the end ("Paper Lanterns Official Video Lyric Song")."""
    parts = segment_words.split()
    end = len(parts)
    while end > 0 and (parts[end - 1] in NOISE_WORDS or _YEAR_RE.fullmatch(parts[end - 1])):
        end -= 1
    return " ".join(parts[:end]) if end else segment_words


def split_artists(text: str) -> list[str]:
    """ "A, B & C feat. D" -> ["a", "b", "c", "d"] (folded words)."""
    text = _WITH_RE.sub(",", text)
    names = (words(p) for p in _ARTIST_SPLIT_RE.split(text))
    return [n for n in names if n]


def remove_feat(text: str) -> tuple[str, str]:
    """Split folded ``text`` at a featuring marker: (before, featured part)."""
    m = _FEAT_RE.search(text)
    if not m:
        return text, ""
    return text[: m.start()], text[m.end() :]


# --- channels -----------------------------------------------------------------------

_TOPIC_RE = re.compile(r"\s*-\s*topic\s*$", re.IGNORECASE)
_VEVO_RE = re.compile(r"vevo\s*$", re.IGNORECASE)
_CHANNEL_NOISE_RE = re.compile(
    r"\b(?:official|oficial|officiel|music|musica|musik|tv|channel|canal|records|"
    r"recordings|entertainment|band|hd)\b"
)


_CHANNEL_SUFFIX_RE = re.compile(r"(?:official|oficial|officiel|music|musica|tv|channel)+$")


@dataclass(frozen=True, slots=True)
class Channel:
    name: str  # folded words, channel noise removed
    squashed: str
    topic: bool  # "Artist - Topic": YouTube Music's auto-generated artist channel
    vevo: bool  # "artistVEVO": the artist's label channel

    @property
    def is_artist(self) -> bool:
        """Whether the channel name is known to be the artist (not a label or a fan)."""
        return self.topic or self.vevo


@lru_cache(maxsize=4096)
def parse_channel(channel: str) -> Channel:
    """A channel's name read once: the same channels upload most of what search finds."""
    folded = fold(channel).strip()
    topic = bool(_TOPIC_RE.search(folded))
    if topic:
        folded = _TOPIC_RE.sub("", folded)
    vevo = bool(_VEVO_RE.search(folded)) and len(folded) > 4
    if vevo:
        folded = _VEVO_RE.sub("", folded)
    cleaned = words(_CHANNEL_NOISE_RE.sub(" ", folded)) if not topic else words(folded)
    name = cleaned or words(folded)
    squashed = name.replace(" ", "")
    if not topic:
        # "MiraSolisOficial", "HarborKidsMusic": the same words run together.
        squashed = _CHANNEL_SUFFIX_RE.sub("", squashed) or squashed
    return Channel(name=name, squashed=squashed, topic=topic, vevo=vevo)


# --- parsed tracks ------------------------------------------------------------------


class Segment:
    """One part of a video title between separators ("Artist - Title | Label").

    A plain class with slots: thousands are made per second, few are asked for names.
    """

    __slots__ = ("text", "variants", "featured", "raw", "work", "_names")

    def __init__(
        self,
        text: str,
        variants: tuple[str, ...],
        featured: str,
        raw: str = "",
        work: bool = False,
    ) -> None:
        self.text = text  # folded words, featured artists removed
        self.variants = variants  # ``text`` and ``text`` without trailing noise
        self.featured = featured  # folded words after "feat."/"ft." in this part
        self.raw = raw  # folded, with punctuation, for reading a list of names
        self.work = work  # names the film, show or album the song is from
        self._names: tuple[str, ...] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The part read as a list of artists ("a, b & c")."""
        if self._names is None:
            raw = self.raw
            self._names = tuple(split_artists(remove_feat(raw)[0])) if raw else (self.text,)
        return self._names

    def __repr__(self) -> str:
        return f"Segment({self.text!r})"


@dataclass(frozen=True, slots=True)
class Parsed:
    """The comparable forms of one track, computed once per track.

    Spotify: ``core`` is the title without qualifiers ("- 2011 Remaster", "(Live)") or
    featured artists; ``full`` keeps meaningful qualifiers. YouTube: ``segments`` are
    the parts of the title, any of which may be the song's title or its artist.
    ``text`` holds every word the track shows (title and channel, or title and
    artists), ``squashed`` the same with spaces removed, to look names up in.
    """

    platform: Platform
    core: str
    full: str
    # Other readings of the title, compared as titles but never read as an artist's
    # part: Spotify "Composer: Work" and "Song / Interlude" heads; a video's parts
    # split at dashes and pipes only ("Song / Other Song", "Suite, Op. 12: No. 3").
    alt_titles: tuple[str, ...]
    quiet_titles: tuple[str, ...]  # a video's parts made only of noise words
    segments: tuple[Segment, ...]
    artists: tuple[str, ...]  # credited artists (Spotify), channel artist (YouTube)
    featured: tuple[str, ...]  # guests named in the title
    album: str
    works: tuple[
        str, ...
    ]  # the album or film a Spotify track comes from ("From 'The Long Summer'")
    flat: str  # the title's words with noise brackets dropped (YouTube)
    text: str
    squashed: str
    versions: frozenset[str]
    allowed_versions: frozenset[str]
    remixer: str  # who made the remix ("kovalenko" in "Blue Hour - Kovalenko Remix"), if one says
    channel: Channel | None
    duration_ms: int | None
    isrc: str


def _bracket_parts(folded: str) -> tuple[str, list[str]]:
    """Remove bracketed parts of ``folded``; return what is left and the parts."""
    parts: list[str] = []

    def keep(m: re.Match[str]) -> str:
        parts.append(next(g for g in m.groups() if g is not None))
        return " | "

    rest = folded
    # Nested brackets: repeat until none are left (rarely more than two rounds).
    for _ in range(3):
        new = _BRACKETS_RE.sub(keep, rest)
        if new == rest:
            break
        rest = new
    return rest, parts


def _inline_bracket(m: re.Match[str]) -> str:
    """Keep a bracket's words in place unless it is noise, a version or a guest list."""
    inner = words(next(g for g in m.groups() if g is not None))
    if is_noise(inner, bracket=True) or version_tags(inner) or remove_feat(inner)[1]:
        return " | "
    return f" {inner} "


def _quoted(text: str) -> list[str]:
    """The quoted parts of ``text`` ("「Title」"); most titles have no quote to look at."""
    if not _QUOTE_RE.search(text):
        return []
    return [next(g for g in m.groups() if g is not None) for m in _QUOTED_RE.finditer(text)]


def _add(variants: list[str], text: str) -> None:
    if text and text not in variants:
        variants.append(text)


_PART_ONLY_RE = re.compile(r"part \d+")


def _trailing_versions(core: str) -> tuple[str, frozenset[str]]:
    """ "night drive remix" -> ("night drive", {"remix"}); "live forever" is left alone."""
    parts = core.split()
    for cut in range(len(parts) - 1, 0, -1):
        tail = " ".join(parts[cut:])
        tags = version_tags(tail)
        if not tags or any(not version_tags(w) and w not in NOISE_WORDS for w in parts[cut:]):
            break
        if cut and tags:
            return " ".join(parts[:cut]), tags
    return core, frozenset()


_FROM_RE = re.compile(
    r"^\s*(?:from|de|aus|dal|du|tema de|theme from)\b\s*(?:the\s+)?(?:film|movie)?"
)


def _works(album: str, qualifiers: list[str], core: str) -> tuple[str, ...]:
    """Names of the album, film or show a track comes from, for videos that name it."""
    names: list[str] = []
    head, _ = _bracket_parts(album)
    head = re.split(r" - |: | \| ", head)[0]
    _add(names, words(head))
    for q in qualifiers:
        m = _FROM_RE.match(q)
        if m:
            _add(names, words(q[m.end() :]))
    # A single's album is its title: naming it again proves nothing.
    return tuple(n for n in names if len(n) >= 4 and n != core and not is_noise(n))


# The same tracks come back search after search, so each is parsed once. A parse is
# keyed on every field its parser reads and nothing else (not the id): two tracks share
# one only when they would parse alike; typed, so "spotify" is not Platform.SPOTIFY.
# About 2 KB an entry, some 30 MB when full.
_PARSE_CACHE_SIZE = 16384


def parse_spotify(track: Track) -> Parsed:
    return _parse_spotify(
        track.platform,
        track.title,
        tuple(track.artists),
        track.album,
        track.duration_ms,
        track.isrc,
    )


@lru_cache(maxsize=_PARSE_CACHE_SIZE, typed=True)
def _parse_spotify(
    platform: Platform,
    title: str,
    artist_names: tuple[str, ...],
    album: str,
    duration_ms: int | None,
    isrc: str,
) -> Parsed:
    folded = fold(title)
    rest, brackets = _bracket_parts(folded)
    # "Song - 2011 Remaster", "Song - Live at X": the part after " - " qualifies it.
    head, _, suffix = rest.partition(" - ")
    head_no_feat, head_feat = remove_feat(head)
    core = words(head_no_feat) or words(head)
    if not core:
        # "[Paper Lanterns] (with Ivy Lane)": the title itself is in brackets.
        core = next((words(b) for b in brackets if not remove_feat(words(b))[1]), words(folded))
    core, tail_versions = _trailing_versions(core)
    # "I Need a Girl (Pt. 1)": a part number in brackets is part of the title.
    parts = [b for b in brackets if _PART_ONLY_RE.fullmatch(words(b))]
    alt: list[str] = []
    if parts:
        core = " ".join([core, *(words(b) for b in parts)])
        brackets = [b for b in brackets if b not in parts]
        # "Song (Part II) Broken Down": also read with the part where it stands.
        inline = _BRACKETS_RE.sub(
            lambda m: f" {m.group()[1:-1]} " if m.group()[1:-1] in parts else " ", folded
        )
        inline = words(remove_feat(inline.partition(" - ")[0])[0])
        if inline and inline != core:
            alt.append(inline)
    qualifiers = [words(b) for b in brackets] + [words(suffix)]
    versions = version_tags(" | ".join(qualifiers)) | tail_versions
    featured: list[str] = split_artists(head_feat) if head_feat else []
    for q in brackets + [suffix]:
        q = q.strip()
        _, feat = remove_feat(q)
        if feat:
            featured += split_artists(feat)
        elif q.startswith(("with ", "con ")):
            featured += split_artists(q[4:])
    artists = tuple(dict.fromkeys(a for a in (words(fold(x)) for x in artist_names) if a))
    featured_t = tuple(f for f in dict.fromkeys(featured) if f not in artists)
    prefix, colon, after = head_no_feat.partition(": ")
    if colon and len(prefix.split()) <= 3 and words(after):
        # "Composer: Suite No. 2, Op. 12": classical titles lead with the composer.
        alt.append(_trailing_versions(words(after))[0])
    first, slash, _ = head_no_feat.partition(" / ")
    if slash and words(first):
        # "Paper Lanterns / Reprise": a song and the interlude joined to it.
        alt.append(words(first))
    kept = [q for q in qualifiers if q and not is_noise(q, bracket=True) and not remove_feat(q)[1]]
    full = " ".join([core] + kept)
    album_words = words(fold(album))
    works = _works(fold(album), brackets + [suffix], core)
    text = " ".join([words(folded), *artists, *featured_t])
    return Parsed(
        platform=platform,
        core=core,
        full=full,
        alt_titles=tuple(alt),
        quiet_titles=(),
        segments=(Segment(core, (core,), ""),),
        artists=artists,
        featured=featured_t,
        album=album_words,
        works=works,
        flat=core,
        text=text,
        # Every part of ``text`` is already words: only the spaces are left to drop.
        squashed=text.replace(" ", ""),
        versions=versions,
        # A track on "MTV Unplugged" or "Cover Sessions" is that version, titled or not;
        # so is every track of an artist called "sped up nightcore".
        allowed_versions=versions | version_tags(album_words) | version_tags(" ".join(artists)),
        remixer=remixer(qualifiers) if "remix" in versions else "",
        channel=None,
        duration_ms=duration_ms,
        isrc=isrc.strip().upper(),
    )


_Part = tuple[str, str, str, tuple[str, ...], bool, tuple[str, ...], bool]


@lru_cache(maxsize=8192)
def _read_part(raw: str, bracket: bool) -> _Part | None:
    """What one part of a video title says; "(Official Video)" is met again and again."""
    seg = words(raw)
    if not seg:
        return None
    before, feat = remove_feat(seg)
    if feat:
        guests = tuple(split_artists(feat))
    elif bracket and seg.startswith("with "):
        guests = tuple(split_artists(seg[5:]))
    else:
        guests = ()
    before = before.strip()
    noise = not before or is_noise(before, bracket=bracket)
    variants: list[str] = []
    if not noise:
        plain = strip_trailing_noise(before)
        variants = [before] if plain == before else [before, plain]
        # "911 REMIX" outside brackets: also read without the version words, which
        # the versions check weighs on its own. The last variant stays as written.
        unversioned = _trailing_versions(plain)[0]
        if unversioned not in variants:
            variants.insert(len(variants) - 1, unversioned)
    work = not noise and (
        bool(_WORK_RE.search(before)) or (bracket and bool(_FROM_WORK_RE.match(before)))
    )
    return seg, before, feat.strip(), guests, noise, tuple(variants), work


def parse_youtube(track: Track) -> Parsed:
    return _parse_youtube(track.platform, track.title, track.channel, track.duration_ms, track.isrc)


@lru_cache(maxsize=_PARSE_CACHE_SIZE, typed=True)
def _parse_youtube(
    platform: Platform, title: str, channel_name: str, duration_ms: int | None, isrc: str
) -> Parsed:
    # "2. Paper Lanterns - Mira Solis": a track number from an album upload is not the title.
    title = _TRACK_NUMBER_RE.sub("", title)
    if not title.isascii():
        # Not inside quotes, which hold one title whole: 宇多田ヒカル『BADモード』.
        title = "".join(
            part if part[:1] in "「『" else _SCRIPT_BOUNDARY_RE.sub(" | ", part)
            for part in _CJK_QUOTED_RE.split(title)
        )
    folded = fold(title)
    channel = parse_channel(channel_name)
    quoted = _quoted(folded)
    rest, brackets = _bracket_parts(folded)
    # "Long Summer (Original Soundtrack)": the words before such a bracket name a work.
    works = (
        {words(m.group(1)) for m in _WORK_NAME_RE.finditer(folded)}
        if "soundtrack" in folded or "ost" in folded or "score" in folded
        else set()
    )
    segments: list[Segment] = []
    featured: list[str] = []
    version_text: list[str] = []
    flat_parts: list[str] = []
    meaningful_brackets: list[str] = []
    # Parts made only of noise words, kept for songs called "Single" or "Musica".
    quiet: list[str] = []

    def add_segment(raw: str, *, bracket: bool) -> None:
        part = _read_part(raw, bracket)
        if part is None:
            return
        seg, before, feat, guests, noise, variants, work = part
        version_text.append(seg)
        featured.extend(guests)
        if bracket and not feat and seg.startswith("with "):
            return
        if not bracket and before not in works:
            flat_parts.append(before)
        if noise:
            if before and not bracket:
                quiet.append(before)
            return
        if bracket:
            meaningful_brackets.append(seg)
        work = work or before in works
        segments.append(Segment(before, variants, feat, raw, work))

    for raw in _SEPARATOR_RE.split(rest):
        add_segment(raw, bracket=False)
    # "Reaction: Artist ft Guest ( PAPER LANTERNS )", 'Artist「Title」': the title can
    # sit in brackets or quotes.
    for raw in brackets:
        for part in _SEPARATOR_RE.split(raw):
            add_segment(part, bracket=True)
    for raw in quoted:
        # 'Artist "Title (Korean Ver.)" M/V': the quoted title without its brackets,
        # which were read above.
        for part in _SEPARATOR_RE.split(_bracket_parts(raw)[0]):
            add_segment(part, bracket=False)
    # "Night Drive (Pt. 2)": a bracket can also be part of the title it follows.
    if meaningful_brackets:
        inline = _BRACKETS_RE.sub(_inline_bracket, folded)
        if inline != folded:
            for raw in _SEPARATOR_RE.split(inline):
                before = words(remove_feat(words(raw))[0])
                if before and not is_noise(before) and all(before != s.text for s in segments):
                    variants: list[str] = []
                    _add(variants, before)
                    _add(variants, strip_trailing_noise(before))
                    work = bool(_WORK_RE.search(before))
                    segments.append(Segment(before, tuple(variants), "", "", work))
    alt: list[str] = []
    if "/" in rest or ": " in rest:
        texts = {seg.text for seg in segments}
        for raw in _STRONG_SEPARATOR_RE.split(rest):
            part = words(remove_feat(words(raw))[0])
            if part and part not in texts and not is_noise(part):
                _add(alt, strip_trailing_noise(part))
        composer, colon, work = rest.partition(": ")
        if colon and len(words(composer).split()) <= 3 and " - " in work:
            # "Debussy: Suite bergamasque, L. 75 - III. Clair de lune": the composer, then
            # the work and its movement, which Spotify writes as one title.
            _add(alt, strip_trailing_noise(words(remove_feat(work)[0])))
    whole = words(folded)
    if not segments:
        segments.append(Segment(whole, (whole,), ""))
    flat = strip_trailing_noise(" ".join(p for p in flat_parts if p)) or whole
    text = " ".join([whole, channel.name])
    versions = version_tags(" | ".join(version_text))
    if "karaoke" in channel.name or "nightcore" in channel.name:
        versions |= version_tags(channel.name)
    artists = (channel.name,) if channel.is_artist and channel.name else ()
    return Parsed(
        platform=platform,
        core=segments[0].variants[-1],
        full=flat,
        alt_titles=tuple(alt),
        quiet_titles=tuple(quiet),
        segments=tuple(segments),
        artists=artists,
        featured=tuple(dict.fromkeys(f for f in featured if f not in artists)),
        album="",
        works=(),
        flat=flat,
        text=text,
        # ``whole`` is already words: only its spaces are left to drop.
        squashed=whole.replace(" ", "") + "|" + channel.squashed,
        versions=versions,
        # An uploader who calls themselves "sped up nightcore" marks every upload so.
        allowed_versions=versions | version_tags(channel.name),
        remixer=remixer(version_text) if "remix" in versions else "",
        channel=channel,
        duration_ms=duration_ms,
        isrc=isrc.strip().upper(),
    )


# --- what a track is, in a person's words -------------------------------------------


@dataclass(frozen=True, slots=True)
class SongGuess:
    """A track's artist and title as a person would type them (original script kept)."""

    artist: str
    title: str
    versions: frozenset[str]


def _clean_display(text: str) -> str:
    """Drop noise brackets, guests and trailing noise words, keeping the original letters."""

    def bracket(m: re.Match[str]) -> str:
        inner = words(fold(next(g for g in m.groups() if g is not None)))
        if is_noise(inner, bracket=True) or remove_feat(inner)[1] or inner.startswith("with "):
            return " "
        return m.group(0)

    text = _PRODUCED_BY_RE.sub("", _BRACKETS_RE.sub(bracket, text))
    m = _FEAT_RE.search(text.casefold())
    if m:
        text = text[: m.start()]
    parts = text.split()
    while parts and words(fold(parts[-1])) in NOISE_WORDS | {""}:
        parts.pop()
    return " ".join(parts).strip(" -|/:~\u2013\u2014")


def guess_song(track: Track) -> SongGuess:
    """Artist and title of a track; for a video, read from its title and channel.

    Spotify says both. A video title is read "Artist - Title" unless the channel is the
    artist ("Title" on "Artist - Topic"), or one part of it is the channel's name.
    """
    if track.platform is not Platform.YOUTUBE:
        parsed = parse_spotify(track)
        head = _BRACKETS_RE.sub(" ", track.title.split(" - ")[0])
        title = _clean_display(head) or _clean_display(track.title) or track.title
        artist = track.artists[0] if track.artists else ""
        return SongGuess(artist, title, parsed.versions)
    parsed = parse_youtube(track)
    artist, title = _read_video(track, parsed.channel)
    return SongGuess(artist.strip(), title.strip(), parsed.versions)


def _read_video(track: Track, channel: Channel | None) -> tuple[str, str]:
    display_channel = _TOPIC_RE.sub("", track.channel.strip())
    if channel is not None and channel.vevo:
        display_channel = display_channel[: -len("vevo")].strip()
    stripped = _strip_symbols(track.title)
    if channel is not None and channel.topic:
        return display_channel, _clean_display(stripped)
    lenticular = _lenticular(stripped, channel)
    if lenticular is not None:
        return lenticular
    raw = stripped if stripped.isascii() else _SCRIPT_BOUNDARY_RE.sub(" | ", stripped)
    quoted = [q for q in _quoted(raw) if not _is_nickname(raw, q)]
    rest = _BRACKETS_RE.sub(" | ", raw) if not quoted else raw
    parts = _display_parts(rest)
    if quoted:
        before = raw.split(quoted[0])[0].strip(" \"'「『")
        before_parts = _display_parts(before)
        return before_parts[0] if before_parts else display_channel, _clean_display(quoted[0])
    if len(parts) >= 2:
        # The part that names the channel is the artist; otherwise "Artist - Title".
        named = [i for i, p in enumerate(parts[:2]) if _names_channel(p, channel)]
        if named:
            a = named[0]
        else:
            # "Title | Film | Cast" puts the title first; "Artist - Title" the artist.
            first = _SEPARATOR_RE.search(rest)
            a = 1 if first is not None and "|" in first.group(0) else 0
        return parts[a], parts[1 - a]
    title = parts[0] if parts else _clean_display(raw) or raw
    return display_channel if channel is not None and channel.is_artist else "", title


def _display_parts(text: str) -> list[str]:
    return [p for p in (_clean_display(p) for p in _SEPARATOR_RE.split(text)) if p]


def _names_channel(part: str, channel: Channel | None) -> bool:
    """``part`` is the channel's artist: all of it, or the first of its names ("A x B")."""
    if channel is None:
        return False
    folded = fold(part)
    if squash(words(folded)) == channel.squashed:
        return True
    names = split_artists(folded)
    return len(names) > 1 and squash(names[0]) == channel.squashed


def _lenticular(text: str, channel: Channel | None) -> tuple[str, str] | None:
    """Artist and title of "Artist【Title】", "【Artist】Title" or "【Artist - Title】".

    Chinese and Japanese uploads mark the title (or the artist) with these brackets; a
    bracket of noise words ("【MV】") marks nothing.
    """
    m = _LENTICULAR_RE.search(text)
    if m is None:
        return None
    inside = _display_parts(m.group(1))
    if not inside:
        return None
    before = _display_parts(text[: m.start()])
    if before:
        if _names_channel(inside[0], channel) and not _names_channel(before[0], channel):
            return inside[0], before[0]  # "Title【Artist】"
        return before[0], inside[0]
    if len(inside) >= 2:
        return inside[0], inside[1]
    after = _display_parts(_BRACKETS_RE.sub(" | ", text[m.end() :].translate(_FULLWIDTH_PARENS)))
    return (inside[0], after[0]) if after else None


def _is_nickname(text: str, quoted: str) -> bool:
    """A quoted word inside a name, as in 'Damian "Jr. Gong" Marley - Medication'."""
    head = _SEPARATOR_RE.split(text, maxsplit=1)
    if len(head) < 2 or quoted not in head[0]:
        return False
    before, _, after = head[0].partition(quoted)
    after = _BRACKETS_RE.sub(" ", after.strip(" \"'"))
    return bool(words(fold(before))) and bool(_clean_display(after))


def normalized_key(track: Track) -> str:
    """A stable text key for a song, the same from either platform when parsing agrees.

    "doja cat|vegas", "nirvana|lithium|live": folded primary artist, core title, and the
    versions that make it another recording. Usable as a shared match-cache key.
    """
    guess = guess_song(track)
    artist = split_artists(fold(guess.artist))
    title = words(remove_feat(fold(guess.title))[0])
    if track.platform is not Platform.YOUTUBE:
        title = parse_spotify(track).core
    title, tail = _trailing_versions(title)
    versions = sorted(guess.versions | tail)
    return "|".join([artist[0] if artist else "", title, *versions])
