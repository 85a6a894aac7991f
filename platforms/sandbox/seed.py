"""Building both sandbox worlds from the catalogue: tracks, videos, people and libraries.

The catalogue (``catalog.py``) becomes Spotify tracks and YouTube videos with the
noise real uploads have (VEVO and "- Topic" channels, "(Official Video) [HD]", lyric
videos, covers by other channels, 「」 titles). The demo people get libraries of
realistic size and mess; the seed decides which songs and in what order.

``load_pairs_csv`` adds a pairs CSV (``shared/data/spotify_youtube/dev_pairs.csv``
columns) at run time; that data is never copied into the repository.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platforms.sandbox import catalog
from platforms.sandbox.catalog import Song
from platforms.sandbox.spotify_world import Playlist, PlaylistEntry, SpotifyWorld, spotify_id

# Libraries were built "in the past": a fixed base keeps seeded dates stable.
BASE_TIME = 1_704_067_200.0  # 2024-01-01T00:00:00Z

DEMO_USERS = [
    # id, display name, email
    ("sandbox-alice", "Alice Sandbox", "alice@example.com"),
    ("sandbox-bob", "Bob Sandbox", "bob@example.com"),
    ("sandbox-charlie", "Charlie Sandbox", "charlie@example.com"),
]


def video_id(*parts: object) -> str:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:11]


def channel_id(name: str) -> str:
    digest = hashlib.sha256(f"channel:{name.casefold()}".encode()).digest()
    return "UC" + base64.urlsafe_b64encode(digest).decode()[:22]


def _pick(options: Sequence[str], *parts: object) -> str:
    number = int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:4], "big")
    return options[number % len(options)]


def _chance(percent: int, *parts: object) -> bool:
    digest = hashlib.sha256(":".join(map(str, ("chance", *parts))).encode()).digest()
    return int.from_bytes(digest[:2], "big") % 100 < percent


def vevo_name(artist: str) -> str:
    return re.sub(r"[^0-9a-z]", "", artist.casefold()) + "VEVO"


_OFFICIAL_TITLES = {
    "en": [
        "{artist} - {title} (Official Video)",
        "{artist} - {title} (Official Music Video) [HD]",
        "{artist} - {title} [Official Audio]",
        "{title} | {artist}",
        "{artist} – {title} (Official Visualizer)",
        '{artist} "{title}" (Official Video)',
        "{artist} - {title} (Official Video) [4K]",
        "{title} - {artist} (Official Audio)",
    ],
    "ja": [
        "{artist}「{title}」Music Video",
        "【MV】{artist}「{title}」",
        "{artist} -「{title}」(Official MV)",
    ],
    "ko": ["[MV] {artist} - {title}", "{artist} '{title}' M/V", "[MV] {artist} _ {title}"],
    "ru": ["{artist} — {title} (Official Video)", "{artist} - {title} (Премьера клипа, 2020)"],
    "ar": ["{artist} - {title} | Official Music Video", "{artist} - {title} (فيديو كليب)"],
    "zh": ["{artist}《{title}》Official MV", "{artist} - {title} 官方MV"],
}
_LYRIC_TITLES = [
    "{artist} - {title} (Lyrics)",
    "{title} - {artist} (Lyric Video)",
    "{artist} - {title} (Lyrics) 🎵",
    "{title} lyrics - {artist}",
]
_YOUTUBE_COVER_CHANNELS = ["Mia Tran Music", "Bedroom Tapes", "Luca Ferri Covers", "Hana Kim"]
_NOISE_VIDEOS = [
    ("My morning routine (realistic) ☕", "Daily Dana", 612),
    ("How to restring an acoustic guitar in 5 minutes", "Fretboard Friends", 341),
    ("Lo-fi beats to study to 📚 [1 hour]", "Chillhop Corner", 3605),
    ("Top 10 album covers of the decade", "Vinyl Nerd", 894),
    ("Cat tries to catch a laser pointer", "Whisker TV", 58),
]


@dataclass
class SeededCatalogue:
    """What seeding made of the catalogue: song key -> Spotify track id and video ids."""

    tracks: dict[str, str] = field(default_factory=dict)
    videos: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> {flavour: id}
    noise_videos: list[str] = field(default_factory=list)


def _spotify_artists(song: Song) -> list[str]:
    return list(song.artists)


def add_catalogue(state: Any) -> SeededCatalogue:
    """Add every catalogue song to Spotify and its videos to YouTube."""
    seeded = SeededCatalogue()
    world: SpotifyWorld = state.spotify
    youtube = state.youtube
    for song in catalog.songs():
        track = world.add_track(
            song.title,
            _spotify_artists(song),
            song.album,
            song.duration_ms,
            isrc=song.isrc,
            album_type=song.album_type,
            release_date=f"{song.year}-{1 + catalog._digest('m', song.key) % 12:02d}-"
            f"{1 + catalog._digest('d', song.key) % 28:02d}",
            explicit=song.explicit,
            popularity=song.popularity,
            available=song.available,
            key=song.key,
        )
        seeded.tracks[song.key] = track.id
        if youtube is not None:
            seeded.videos[song.key] = _add_videos(youtube, song)
    if youtube is not None:
        for title, channel, seconds in _NOISE_VIDEOS:
            vid = video_id("noise", title)
            youtube.add_video(vid, title, channel_id(channel), channel, seconds)
            seeded.noise_videos.append(vid)
    return seeded


def _add_videos(youtube: Any, song: Song) -> dict[str, str]:
    """The videos a song has on YouTube, by flavour (topic, official, lyric, cover...)."""
    artist = song.artists[0]
    featured = song.artists[1:]
    seconds = song.duration_ms // 1000
    videos: dict[str, str] = {}

    def add(flavour: str, title: str, channel: str, duration: int, status: str = "public") -> None:
        vid = video_id(song.key, flavour)
        youtube.add_video(vid, title, channel_id(channel), channel, duration, status)
        videos[flavour] = vid

    if song.kind == "single":
        return videos  # the single's audio is the album track's on YouTube
    # Auto-generated "Artist - Topic" uploads carry the Spotify-style name and exact length.
    topic_title = song.title if song.kind != "original" else song.title
    add("topic", topic_title, f"{artist} - Topic", seconds)
    if song.kind == "original":
        if _chance(70, song.key, "official"):
            lang = song.language if song.language in _OFFICIAL_TITLES else "en"
            template = _pick(_OFFICIAL_TITLES[lang], song.key, "template")
            name = song.base_title
            if featured:
                name = f"{song.base_title} ft. {', '.join(featured)}"
            title = template.format(artist=artist, title=name)
            if lang == "en" and _chance(40, song.key, "vevo"):
                channel = vevo_name(artist)
            else:
                channel = artist
            # Music videos run longer than the track: intros, outros, skits.
            extra = 5 + catalog._digest("intro", song.key) % 40
            status = "public"
            if _chance(4, song.key, "gone"):
                status = _pick(["private", "deleted"], song.key, "status")
            add("official", title, channel, seconds + extra, status)
        if _chance(30, song.key, "lyric"):
            template = _pick(_LYRIC_TITLES, song.key, "lyric")
            add(
                "lyric",
                template.format(artist=artist, title=song.base_title),
                "Lyric Lantern",
                seconds,
            )
        if _chance(12, song.key, "ytcover"):
            creator = _pick(_YOUTUBE_COVER_CHANNELS, song.key, "creator")
            title = (
                f"{song.base_title} - {artist} | Cover by {creator.split()[0]} {creator.split()[1]}"
            )
            add("youtube_cover", title, creator, seconds - 12)
    elif song.kind == "live":
        add("live", f"{artist} - {song.base_title} ({song.detail})", artist, seconds + 15)
    elif song.kind == "cover":
        original_artist = catalog.by_key()[song.original].artists[0]
        title = f"{song.base_title} ({original_artist} Cover) - {artist}"
        add("cover", title, artist, seconds)
    elif song.kind in ("remix", "sped_up", "acoustic"):
        add(
            song.kind,
            f"{' x '.join(song.artists)} - {song.base_title} ({song.detail}) [Audio]",
            song.artists[-1],
            seconds,
        )
    return videos


def populate(state: Any, *, seed: int = 0) -> SeededCatalogue:
    """Fill a fresh state with the catalogue and the demo people's libraries."""
    seeded = add_catalogue(state)
    rng = random.Random(seed)
    for user_id, name, email in DEMO_USERS:
        state.spotify.add_user(user_id, name, email)
        if state.youtube is not None:
            state.youtube.add_user(user_id, email, name)
    _alice(state, seeded, random.Random(rng.random()))
    _bob(state, seeded, random.Random(rng.random()))
    return seeded


# --- the demo people -------------------------------------------------------------------------


def _songs_where(predicate) -> list[Song]:
    return [s for s in catalog.songs() if predicate(s)]


def _spotify_playlist(
    state: Any,
    owner: str,
    name: str,
    uris: Iterable[str],
    *,
    description: str = "",
    public: bool = True,
    collaborative: bool = False,
    start: float = BASE_TIME,
) -> Playlist:
    world: SpotifyWorld = state.spotify
    playlist = world.create_playlist(
        owner,
        name,
        description=description,
        public=public,
        collaborative=collaborative,
        playlist_id=spotify_id("playlist", owner, name),
    )
    playlist.entries = [PlaylistEntry(uri, start + 3600 * i, owner) for i, uri in enumerate(uris)]
    return playlist


def _uri(seeded: SeededCatalogue, song: Song) -> str:
    return f"spotify:track:{seeded.tracks[song.key]}"


def _video(seeded: SeededCatalogue, song: Song, rng: random.Random) -> str | None:
    """One of the song's videos, as a person would have picked it on YouTube."""
    flavours = seeded.videos.get(song.key) or seeded.videos.get(song.original) or {}
    if not flavours:
        return None
    preferred = [f for f in ("official", "topic", "lyric") if f in flavours]
    others = [f for f in flavours if f not in preferred]
    choice = rng.choice(preferred) if preferred and rng.random() < 0.85 else None
    if choice is None:
        choice = rng.choice(others or preferred)
    return flavours[choice]


def _alice(state: Any, seeded: SeededCatalogue, rng: random.Random) -> None:
    user = "sandbox-alice"
    originals = [s for s in catalog.originals() if s.language == "en"]
    rng.shuffle(originals)
    asian = _songs_where(lambda s: s.language in ("ja", "ko", "zh") and s.kind == "original")
    versions = _songs_where(lambda s: s.kind not in ("original", "single"))
    unavailable = [s for s in catalog.originals() if not s.available]
    singles = _songs_where(lambda s: s.kind == "single")
    by_key = catalog.by_key()

    # Morning Commute: small and tidy, one duplicate.
    commute = originals[:11]
    commute_uris = [_uri(seeded, s) for s in commute] + [_uri(seeded, commute[3])]
    _spotify_playlist(
        state,
        user,
        "Morning Commute",
        commute_uris,
        description="Coffee, bus, headphones.",
        start=BASE_TIME,
    )

    # Road Trip: covers and live takes beside their originals, duplicates, gaps, a local file.
    trip: list[str] = []
    for song in originals[11:61]:
        trip.append(_uri(seeded, song))
        for version in catalog.versions_of(song.key)[:2]:
            if rng.random() < 0.7:
                trip.append(_uri(seeded, version))
    for song in unavailable[:3]:
        trip.insert(rng.randrange(len(trip)), _uri(seeded, song))
    trip.insert(5, trip[0])  # the same track twice
    trip.insert(20, _uri(seeded, singles[0]))  # the single beside the album version
    trip.insert(12, "spotify:local:Garage Band Demo:Basement Tapes:Our First Song:187")
    featured = _songs_where(lambda s: len(s.artists) > 1 and s.kind == "original")
    trip.extend(_uri(seeded, s) for s in featured)
    _spotify_playlist(
        state,
        user,
        "Road Trip 2024",
        trip,
        description="Windows down. Mixed by Alice.",
        start=BASE_TIME + 86_400 * 30,
    )

    # J-pop, K-pop and Mandarin, with versions of the same songs.
    asia = [_uri(seeded, s) for s in asian] + [
        _uri(seeded, v) for s in asian for v in catalog.versions_of(s.key)
    ]
    _spotify_playlist(
        state,
        user,
        "夜更けのプレイリスト 🌙",
        asia,
        description="Late-night J/K/C pop",
        start=BASE_TIME + 86_400 * 60,
    )

    # Everything I Love: the big one.
    everything = [_uri(seeded, s) for s in originals[:100]] + [
        _uri(seeded, v) for v in versions[:18]
    ]
    rng.shuffle(everything)
    everything.insert(40, _uri(seeded, unavailable[-1]))
    everything.insert(77, everything[10])
    _spotify_playlist(
        state, user, "Everything I Love", everything, public=False, start=BASE_TIME + 86_400 * 90
    )

    quiet = [_uri(seeded, v) for v in versions if v.kind in ("acoustic", "instrumental")]
    _spotify_playlist(
        state, user, "Quiet Evenings", quiet, public=False, start=BASE_TIME + 86_400 * 120
    )

    # ~150 liked songs, saved over months.
    liked_pool = originals + asian + versions + [by_key[s.original] for s in singles]
    liked = list(dict.fromkeys(s.key for s in liked_pool))
    rng.shuffle(liked)
    state.spotify.saved[user] = {
        seeded.tracks[key]: BASE_TIME + 7200 * i for i, key in enumerate(liked[:150])
    }

    youtube = state.youtube
    if youtube is None:
        return

    # On YouTube Alice keeps some of the same playlists, built from whatever video she found.
    def videos_for(songs: Iterable[Song]) -> list[str]:
        return [v for s in songs if (v := _video(seeded, s, rng)) is not None]

    youtube.add_playlist(
        user,
        "Morning Commute",
        videos_for(commute[:9] + originals[61:64]),
        "Coffee, bus, headphones.",
    )
    trip_songs = originals[11:45] + [v for v in versions if v.kind in ("live", "cover")][:6]
    rng.shuffle(trip_songs)
    trip_videos = videos_for(trip_songs)
    trip_videos.insert(3, trip_videos[0])
    youtube.add_playlist(user, "Road Trip 2024", trip_videos, "Windows down.")
    covers = [
        flavours[f]
        for flavours in seeded.videos.values()
        for f in ("youtube_cover", "cover", "live")
        if f in flavours
    ]
    youtube.add_playlist(user, "YouTube Finds", covers[:25], "Covers and live takes")
    youtube.add_playlist(user, "Asia Mix", videos_for(asian))
    likes = videos_for(originals[:90] + asian[:10] + versions[:10]) + seeded.noise_videos[:3]
    for vid in dict.fromkeys(likes):
        youtube.like(user, vid)


def _bob(state: Any, seeded: SeededCatalogue, rng: random.Random) -> None:
    user = "sandbox-bob"
    originals = list(catalog.originals())
    rng.shuffle(originals)
    bangers = [_uri(seeded, s) for s in originals[:40]]
    _spotify_playlist(
        state, user, "Bob's Bangers", bangers, description="Loud.", start=BASE_TIME + 86_400 * 10
    )
    shared = _spotify_playlist(
        state,
        user,
        "Shared Sunday",
        [_uri(seeded, s) for s in originals[40:55]],
        public=False,
        collaborative=True,
        start=BASE_TIME + 86_400 * 20,
    )
    shared.collaborators = ["sandbox-alice"]
    _spotify_playlist(
        state,
        user,
        "Gym",
        [_uri(seeded, s) for s in originals[55:85]],
        public=False,
        start=BASE_TIME + 86_400 * 40,
    )
    # Alice follows Bob's public playlist and collaborates on the shared one.
    state.spotify.user_playlists["sandbox-alice"].extend(
        [spotify_id("playlist", user, "Bob's Bangers"), shared.id]
    )
    state.spotify.saved[user] = {
        seeded.tracks[s.key]: BASE_TIME + 3600 * i for i, s in enumerate(originals[:30])
    }
    youtube = state.youtube
    if youtube is None:
        return
    videos = [v for s in originals[:25] if (v := _video(seeded, s, rng))]
    youtube.add_playlist(user, "Bob's Bangers", videos, "Loud.")
    for vid in [v for s in originals[25:55] if (v := _video(seeded, s, rng))]:
        youtube.like(user, vid)


# --- extra catalogue from a pairs CSV (at run time only) -----------------------------------


def load_pairs_csv(state: Any, path: str | Path, *, limit: int | None = None) -> dict[str, int]:
    """Add every row of a pairs CSV as a Spotify track and its YouTube video."""
    text = Path(path).read_text(encoding="utf-8")
    return load_pairs_csv_text(state, text, limit=limit)


def load_pairs_csv_text(state: Any, text: str, *, limit: int | None = None) -> dict[str, int]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"row_id", "Artist", "Track", "Duration_ms"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"not a pairs CSV: missing columns {', '.join(sorted(missing))}")
    tracks = videos = 0
    with state.lock:
        for n, row in enumerate(reader):
            if limit is not None and n >= limit:
                break
            added = _add_pair(state, row)
            tracks += added[0]
            videos += added[1]
        state.touch()
    return {"tracks": tracks, "videos": videos}


def _number(value: str | None, default: float = 0.0) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def _add_pair(state: Any, row: Mapping[str, str]) -> tuple[int, int]:
    row_id = row.get("row_id", "")
    artist = (row.get("Artist") or "").strip()
    name = (row.get("Track") or "").strip()
    if not artist or not name:
        return 0, 0
    duration_ms = int(_number(row.get("Duration_ms"), 200_000))
    streams = _number(row.get("Stream"))
    popularity = max(1, min(100, int(len(str(int(streams))) * 9))) if streams else 20
    album_type = (row.get("Album_type") or "album").strip().lower()
    if album_type not in ("album", "single", "compilation"):
        album_type = "album"
    before = len(state.spotify.tracks)
    state.spotify.add_track(
        name,
        [artist],
        (row.get("Album") or name).strip() or name,
        duration_ms,
        isrc=catalog._isrc("csv", row_id, artist, name),
        album_type=album_type,
        popularity=popularity,
        key=f"csv:{row_id}",
    )
    added_videos = 0
    title = (row.get("Title") or "").strip()
    channel = (row.get("Channel") or "").strip()
    if title and channel and state.youtube is not None:
        vid = video_id("csv", row_id)
        if vid not in getattr(state.youtube, "videos", {}):
            # The CSV has no video lengths: an official video runs a little longer.
            extra = (
                catalog._digest("csv-extra", row_id) % 25
                if row.get("official_video") == "True"
                else 0
            )
            state.youtube.add_video(
                vid, title, channel_id(channel), channel, duration_ms // 1000 + extra
            )
            added_videos = 1
    return len(state.spotify.tracks) - before, added_videos


# --- a big library for benchmarks ---------------------------------------------------------------

_FIRST = "Ada Ben Cleo Dev Eli Fay Gus Hal Ivy Jon Kai Lux Mo Nia Oto Pia Rex Sol Tam Uma".split()
_LAST = "Vale Brook Stone Marsh Frost Reed Lake Hart Wolfe Crane Pike Rowe Shaw Finch".split()
_BANDS = "Owls Tides Pines Echoes Sparks Ferries Comets Lanterns Wolves Satellites".split()


def _bench_artist(n: int) -> str:
    if n % 3 == 0:
        return f"The {catalog._ADJECTIVES[n % 20]} {_BANDS[n // 20 % 10]}"
    return f"{_FIRST[n % 20]} {_LAST[n // 20 % 14]}"


def seed_large_library(
    state: Any,
    user_id: str,
    n_tracks: int = 10_000,
    playlists: Mapping[str, int] | Sequence[int] | None = None,
    *,
    liked: int | None = None,
    platforms: Sequence[str] = ("spotify", "youtube"),
) -> dict[str, Any]:
    """Give ``user_id`` (created if new) a library of ``n_tracks`` songs for benchmarks.

    ``playlists`` maps names to sizes (or lists sizes); by default one playlist with
    every track, one with half and one with a tenth. ``liked`` defaults to half.
    """
    if playlists is None:
        playlists = {
            "Big Library": n_tracks,
            "Half Library": n_tracks // 2,
            "Tenth Library": max(1, n_tracks // 10),
        }
    elif not isinstance(playlists, Mapping):
        playlists = {f"Large Playlist {i + 1}": int(size) for i, size in enumerate(playlists)}
    liked = n_tracks // 2 if liked is None else liked
    rng = random.Random(f"{state.knobs.seed}:{user_id}:{n_tracks}")
    world: SpotifyWorld = state.spotify
    youtube = state.youtube if "youtube" in platforms else None
    with state.lock:
        world.add_user(user_id, user_id.replace("-", " ").title(), f"{user_id}@example.com")
        if youtube is not None and user_id not in getattr(youtube, "users", {}):
            youtube.add_user(user_id, f"{user_id}@example.com", user_id.replace("-", " ").title())
        uris: list[str] = []
        vids: list[str] = []
        artists = max(1, n_tracks // 12)
        for n in range(n_tracks):
            artist = _bench_artist(n % artists)
            title = (
                f"{catalog._ADJECTIVES[n % 20]} {catalog._NOUNS[(n // 20) % 20]}"
                f" {['', 'Blues', 'Song', 'Theme', 'Dream'][n // 400 % 5]}"
            ).strip()
            if n >= 2000:
                title = f"{title} No. {n // 2000 + 1}"
            seconds = 150 + (n * 37) % 180
            track = world.add_track(
                title,
                [artist],
                f"{artist} Collection",
                seconds * 1000,
                isrc=catalog._isrc("bench", user_id, n),
                key=f"bench:{n}",
            )
            uris.append(track.uri)
            if youtube is not None:
                vid = video_id("bench", n)
                if vid not in youtube.videos:
                    style = n % 3
                    vtitle = [f"{artist} - {title} (Official Video)", title, f"{title} | {artist}"][
                        style
                    ]
                    channel = [vevo_name(artist), f"{artist} - Topic", artist][style]
                    youtube.add_video(vid, vtitle, channel_id(channel), channel, seconds + style)
                vids.append(vid)
        made: dict[str, dict[str, Any]] = {}
        for name, size in playlists.items():
            picked = rng.sample(range(n_tracks), min(size, n_tracks))
            playlist = _spotify_playlist(state, user_id, name, [uris[i] for i in picked])
            entry: dict[str, Any] = {"spotify": playlist.id, "size": len(picked)}
            if youtube is not None:
                entry["youtube"] = youtube.add_playlist(user_id, name, [vids[i] for i in picked])
            made[name] = entry
        for i in rng.sample(range(n_tracks), min(liked, n_tracks)):
            world.saved.setdefault(user_id, {})[uris[i][14:]] = BASE_TIME + i
            if youtube is not None:
                youtube.like(user_id, vids[i])
        state.touch()
    return {"user_id": user_id, "tracks": n_tracks, "liked": liked, "playlists": made}
