"""The sandbox's own music catalogue: invented artists and songs, written for this project.

Every artist and title here is made up. The catalogue is fixed (the same songs for
every seed, so tests can name them); the seed decides who has which songs in which
order. Besides originals it holds what makes matching hard in real libraries:
featured artists, covers, live and acoustic takes, remixes, remasters, the same
recording on a single and an album (same ISRC), titles in Japanese, Korean, Chinese,
Russian and Arabic, and tracks that are no longer available.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

# artist, album, album type, year, titles ("|" separates songs; "*" marks explicit).
_DISCOGRAPHY: list[tuple[str, str, str, int, str]] = [
    (
        "The Velvet Owls",
        "Lanterns & Ledgers",
        "album",
        2019,
        "Paper Lanterns|Ledger Lines|Northbound Static|Coat of Many Evenings|Glasshouse Summer|"
        "The Cartographer's Daughter|Slow Lightning|Owls at the Harbour",
    ),
    (
        "The Velvet Owls",
        "Small Hours Club",
        "album",
        2023,
        "Small Hours|Neon in the Rain|Telegraph Hill|Marigold Motel|Sleepwalker Waltz",
    ),
    (
        "Mara Lindqvist",
        "Salt & Cedar",
        "album",
        2018,
        "Salt and Cedar|Kitchen Radio|Letters I Never Sent|Fjord Light|Borrowed Coats|Wintergreen",
    ),
    (
        "Neon Harbour",
        "Afterglow Arcade",
        "album",
        2021,
        "Afterglow Arcade|Cherry Cola Skyline|Midnight Drive-In|Laser Tag Heart|"
        "Satellite Sweetheart|Palm Tree Static|Overdrive Romance",
    ),
    (
        "DJ Kestrel",
        "Thermals",
        "album",
        2022,
        "Thermals|Updraft|Kestrel Dive|Open Sky Protocol|Wind Shear",
    ),
    (
        "Ossian Reyes",
        "Corazón de Neón",
        "album",
        2020,
        "Corazón de Neón|Bailando en la Azotea|Lluvia de Agosto|Mi Ciudad|Fuego Lento|"
        "Noches de Cartagena",
    ),
    (
        "Paper Satellites",
        "Orbiting Nowhere",
        "album",
        2017,
        "Orbiting Nowhere|Glow in the Dark Stars|Cardboard Rocket|Lunar Laundry|Quiet Transmission",
    ),
    (
        "Juno & The Tides",
        "Driftwood Psalms",
        "album",
        2016,
        "Driftwood Psalm|Lighthouse Keeper|Salt in the Wound|Harbour Bells|Tidewater Hymn|"
        "Anchor & Arrow",
    ),
    (
        "Lil Quasar",
        "Event Horizon Mixtape",
        "album",
        2022,
        "*Gravity Well|*Dark Matter Drip|Supernova Freestyle|*Redshift|Nebula Nights",
    ),
    (
        "Amélie Durand",
        "Rue des Étoiles",
        "album",
        2015,
        "Rue des Étoiles|Café Crème|Le Dernier Métro|Été Indien|Mélancolie Douce",
    ),
    (
        "Brass Cathedral",
        "Vespers in Blue",
        "album",
        2014,
        "Vespers in Blue|Cathedral Stomp|Midnight Sermon|Brass Monkey Shuffle|Rainy Day Requiem",
    ),
    (
        "Static Bloom",
        "Feedback Garden",
        "album",
        2019,
        "*Feedback Garden|Suburban Riot|Broken Metronome|*Spit & Glitter|Three Chord Prayer",
    ),
    (
        "Kofi Mensah-Hart",
        "Golden Hour Lagos",
        "album",
        2021,
        "Golden Hour|Danfo Dance|Sweet Mother's Kitchen|Harmattan Love|Lagos to London",
    ),
    (
        "Ruby Calder",
        "Glitter & Gravel",
        "album",
        2020,
        "Glitter and Gravel|Heartbeat Hotel|Rollercoaster Sunday|Mirrorball Mind|"
        "Cinnamon Kisses|Bad Idea Good Night|Lemonade Sky",
    ),
    (
        "The Midnight Ferries",
        "Crossing Season",
        "album",
        2018,
        "Crossing Season|Diesel & Daisies|Last Boat Home|Gulls Over Galveston|Rusty Compass",
    ),
    ("Sól & Sjór", "Hafið", "album", 2017, "Hafið|Norðurljós|Þögn|Vetrarsól|Ljósbrot"),
    (
        "Hollow Pines",
        "Where the Trail Ends",
        "album",
        2016,
        "Where the Trail Ends|Ember Tower|Forty Winters|Canopy|The Long Descent",
    ),
    (
        "Tessa Vane",
        "Velvet Hours",
        "album",
        2023,
        "Velvet Hours|Call Me After Midnight|Slow Burn|Honey & Smoke|Don't Wait Up",
    ),
    (
        "Grizzly Choir",
        "Bearskin Rugs",
        "album",
        2015,
        "Bearskin Rug|Campfire Psalm|Huckleberry Hill|Woodsmoke Lullaby|Timberline",
    ),
    (
        "Orchestre Lumière",
        "Nocturnes for Trains",
        "album",
        2019,
        "Nocturne for a Night Train|Sleeper Car Serenade|Platform Nine Waltz|Dawn at the Terminus",
    ),
    (
        "MC Brightside",
        "Sunny Side Up",
        "album",
        2021,
        "Sunny Side Up|*Hustle & Bloom|Breakfast Beats|Block Party Anthem|Brightside Boulevard",
    ),
    (
        "Yuki Tanaka",
        "Paper Cranes",
        "album",
        2020,
        "Paper Cranes|Tokyo Rain|Vending Machine Love|Last Train to Shibuya",
    ),
    (
        "星野ミナ",
        "夜明けの歌",
        "album",
        2021,
        "夜明けの歌|さくら色の手紙|東京ミッドナイト|風になる|星降る夜に|ありがとうの花",
    ),
    (
        "하늘소리",
        "별빛 아래",
        "album",
        2022,
        "별빛 아래|너에게 닿기를|Summer 온도|첫눈처럼|Lucky Day",
    ),
    (
        "Зимний Свет",
        "Белые ночи",
        "album",
        2019,
        "Белые ночи|Последний трамвай|Город спит|Снег на ладонях|Мосты",
    ),
    ("نور الليل", "ليالي الصيف", "album", 2020, "قمر بغداد|يا بحر|ليالي الصيف|شمس الصباح"),
    ("林夏", "月光小路", "album", 2018, "夏天的风|月光小路|雨后的城市|遇见你"),
    (
        "Cassidy Moon",
        "Honky Tonk Halo",
        "album",
        2017,
        "Honky Tonk Halo|Dirt Road Diary|Whiskey Lullaby for Two|Tailgate Sunset|"
        "Pickup Truck Prayer",
    ),
    (
        "Arkady Volkov",
        "Piano Diaries",
        "album",
        2016,
        "Diary Entry No. 1|Snowfall in Odessa|Prelude for Anna|The Empty Conservatory",
    ),
    (
        "Bloom Theory",
        "Photosynthesis",
        "album",
        2024,
        "Photosynthesis|Chlorophyll Crush|Root System|Petal Pusher|Greenhouse Effect",
    ),
]

# Collaborations: (title, main artist, featured artists, album, year).
_FEATURES: list[tuple[str, str, tuple[str, ...], str, int]] = [
    ("Harbour Lights", "Neon Harbour", ("Tessa Vane",), "Harbour Lights", 2022),
    ("Cosmic Brunch", "Lil Quasar", ("MC Brightside", "Ruby Calder"), "Cosmic Brunch", 2023),
    ("Fuego en Lagos", "Ossian Reyes", ("Kofi Mensah-Hart",), "Fuego en Lagos", 2022),
    ("Moonlit Ferry", "The Midnight Ferries", ("Cassidy Moon",), "Crossing Season", 2018),
    ("Seoul to Tokyo", "하늘소리", ("星野ミナ",), "Seoul to Tokyo", 2023),
    ("Paper Planes Over Paris", "Amélie Durand", ("Yuki Tanaka",), "Rue des Étoiles", 2015),
    ("Updraft Anthem", "DJ Kestrel", ("Ruby Calder",), "Updraft Anthem", 2023),
]

# Alternative versions: (original title, original artist, kind, detail, by).
# kind: live, acoustic, remix, remaster, cover, radio_edit, sped_up, instrumental.
_VERSIONS: list[tuple[str, str, str, str, str]] = [
    ("Paper Lanterns", "The Velvet Owls", "live", "Live at the Roundhouse", ""),
    ("Paper Lanterns", "The Velvet Owls", "acoustic", "Acoustic", ""),
    ("Paper Lanterns", "The Velvet Owls", "cover", "", "Ruby Calder"),
    ("Paper Lanterns", "The Velvet Owls", "remix", "DJ Kestrel Remix", "DJ Kestrel"),
    ("Slow Lightning", "The Velvet Owls", "live", "Live", ""),
    ("Salt and Cedar", "Mara Lindqvist", "acoustic", "Stripped", ""),
    ("Salt and Cedar", "Mara Lindqvist", "cover", "", "Grizzly Choir"),
    ("Afterglow Arcade", "Neon Harbour", "remix", "DJ Kestrel Remix", "DJ Kestrel"),
    ("Afterglow Arcade", "Neon Harbour", "radio_edit", "Radio Edit", ""),
    ("Cherry Cola Skyline", "Neon Harbour", "sped_up", "Sped Up", ""),
    ("Corazón de Neón", "Ossian Reyes", "remix", "Kestrel Club Mix", "DJ Kestrel"),
    ("Corazón de Neón", "Ossian Reyes", "live", "En Vivo", ""),
    ("Glow in the Dark Stars", "Paper Satellites", "remaster", "Remastered 2024", ""),
    ("Orbiting Nowhere", "Paper Satellites", "remaster", "2022 Remaster", ""),
    ("Driftwood Psalm", "Juno & The Tides", "live", "Live from the Lighthouse", ""),
    ("Lighthouse Keeper", "Juno & The Tides", "cover", "", "Mara Lindqvist"),
    ("Rue des Étoiles", "Amélie Durand", "acoustic", "Version Acoustique", ""),
    ("Vespers in Blue", "Brass Cathedral", "remaster", "Remastered", ""),
    ("Vespers in Blue", "Brass Cathedral", "live", "Live at Ronnie's", ""),
    ("Golden Hour", "Kofi Mensah-Hart", "remix", "Neon Harbour Remix", "Neon Harbour"),
    ("Glitter and Gravel", "Ruby Calder", "acoustic", "Acoustic", ""),
    ("Glitter and Gravel", "Ruby Calder", "live", "Live", ""),
    ("Glitter and Gravel", "Ruby Calder", "cover", "", "Static Bloom"),
    ("Heartbeat Hotel", "Ruby Calder", "sped_up", "Sped Up", ""),
    ("Heartbeat Hotel", "Ruby Calder", "instrumental", "Instrumental", ""),
    ("Hafið", "Sól & Sjór", "remaster", "Remastered 2021", ""),
    ("Where the Trail Ends", "Hollow Pines", "live", "Live in Reykjavík", ""),
    ("Velvet Hours", "Tessa Vane", "remix", "Slowed + Reverb", ""),
    ("Bearskin Rug", "Grizzly Choir", "acoustic", "Cabin Sessions", ""),
    ("Tokyo Rain", "Yuki Tanaka", "acoustic", "Acoustic", ""),
    ("夜明けの歌", "星野ミナ", "acoustic", "アコースティック", ""),
    ("夜明けの歌", "星野ミナ", "live", "Live at Budokan", ""),
    ("夜明けの歌", "星野ミナ", "cover", "", "Yuki Tanaka"),
    ("별빛 아래", "하늘소리", "remix", "Remix", ""),
    ("별빛 아래", "하늘소리", "instrumental", "Inst.", ""),
    ("Белые ночи", "Зимний Свет", "live", "Live", ""),
    ("Белые ночи", "Зимний Свет", "cover", "", "Arkady Volkov"),
    ("يا بحر", "نور الليل", "acoustic", "Acoustic", ""),
    ("夏天的风", "林夏", "live", "Live", ""),
    ("Honky Tonk Halo", "Cassidy Moon", "radio_edit", "Radio Edit", ""),
    ("Sunny Side Up", "MC Brightside", "remix", "DJ Kestrel Remix", "DJ Kestrel"),
    ("Photosynthesis", "Bloom Theory", "remix", "Extended Mix", ""),
    ("Gravity Well", "Lil Quasar", "radio_edit", "Clean", ""),
    ("Nocturne for a Night Train", "Orchestre Lumière", "remaster", "2023 Remaster", ""),
]

# Songs also released as a single: same recording (same ISRC), another album and id.
_SINGLES = [
    ("Paper Lanterns", "The Velvet Owls"),
    ("Afterglow Arcade", "Neon Harbour"),
    ("Glitter and Gravel", "Ruby Calder"),
    ("Golden Hour", "Kofi Mensah-Hart"),
    ("夜明けの歌", "星野ミナ"),
    ("별빛 아래", "하늘소리"),
    ("Velvet Hours", "Tessa Vane"),
]

# Gone from Spotify (licences lapse): playlists show them as null items.
_UNAVAILABLE = [
    ("Marigold Motel", "The Velvet Owls"),
    ("Wintergreen", "Mara Lindqvist"),
    ("Quiet Transmission", "Paper Satellites"),
    ("Rusty Compass", "The Midnight Ferries"),
    ("Brass Monkey Shuffle", "Brass Cathedral"),
    ("Ljósbrot", "Sól & Sjór"),
    ("Мосты", "Зимний Свет"),
]

# Deep cuts: two more songs for each Latin-script artist, from these word banks.
_ADJECTIVES = (
    "Amber Borrowed Copper Crooked Distant Electric Faded Golden Hidden Hollow Lonely "
    "Midnight Paper Quiet Restless Silver Sleepy Velvet Wild Winter"
).split()
_NOUNS = (
    "Avenue Balcony Compass Echoes Embers Gardens Harbour Highway Horizon Lanterns Letters "
    "Mirrors Orchards Rivers Satellites Shadows Static Stations Tides Windows"
).split()
_VERSION_SPOTIFY = {
    "live": "{title} - {detail}",
    "acoustic": "{title} - {detail}",
    "remix": "{title} - {detail}",
    "remaster": "{title} - {detail}",
    "radio_edit": "{title} - {detail}",
    "sped_up": "{title} - {detail}",
    "instrumental": "{title} - {detail}",
    "cover": "{title}",
}


@dataclass(frozen=True)
class Song:
    """One recording. ``original`` is the key of the song this is a version of."""

    key: str
    title: str  # the Spotify track name, with Spotify's own suffix style
    base_title: str  # the song's name without version suffixes
    artists: tuple[str, ...]
    album: str
    album_type: str
    year: int
    duration_ms: int
    isrc: str
    kind: str = "original"  # or live, acoustic, remix, remaster, cover, radio_edit, ...
    detail: str = ""
    original: str = ""
    explicit: bool = False
    available: bool = True
    popularity: int = 50
    language: str = "en"


def _digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def _isrc(*parts: object) -> str:
    number = _digest("isrc", *parts)
    country = ("GB", "US", "SE", "JP", "KR", "DE", "FR", "NG")[number % 8]
    return f"{country}Q{chr(65 + number % 26)}{chr(65 + number // 26 % 26)}{number % 10**7:07d}"


def _duration(*parts: object) -> int:
    return 150_000 + _digest("duration", *parts) % 150_000


def _language(text: str) -> str:
    for ch in text:
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF:
            return "ja"
        if 0xAC00 <= code <= 0xD7AF:
            return "ko"
        if 0x0400 <= code <= 0x04FF:
            return "ru"
        if 0x0600 <= code <= 0x06FF:
            return "ar"
        if 0x4E00 <= code <= 0x9FFF:
            return "zh"
    return "en"


def song_key(title: str, artist: str, kind: str = "original", detail: str = "") -> str:
    return f"{artist}|{title}|{kind}|{detail}"


@cache
def songs() -> tuple[Song, ...]:
    """The whole catalogue, in a stable order."""
    result: list[Song] = []
    by_key: dict[str, Song] = {}
    unavailable = set(_UNAVAILABLE)
    for artist, album, album_type, year, titles in _DISCOGRAPHY:
        for title in titles.split("|"):
            explicit = title.startswith("*")
            title = title.lstrip("*")
            key = song_key(title, artist)
            song = Song(
                key=key,
                title=title,
                base_title=title,
                artists=(artist,),
                album=album,
                album_type=album_type,
                year=year,
                duration_ms=_duration(key),
                isrc=_isrc(key),
                explicit=explicit,
                available=(title, artist) not in unavailable,
                popularity=20 + _digest("pop", key) % 70,
                language=_language(title + artist),
            )
            result.append(song)
            by_key[key] = song
    for title, artist, featured, album, year in _FEATURES:
        key = song_key(title, artist)
        song = Song(
            key=key,
            # Spotify puts featured artists in the artists list and often in the name too.
            title=f"{title} (feat. {' & '.join(featured)})",
            base_title=title,
            artists=(artist, *featured),
            album=album,
            album_type="single" if album == title else "album",
            year=year,
            duration_ms=_duration(key),
            isrc=_isrc(key),
            popularity=40 + _digest("pop", key) % 55,
            language=_language(title + artist),
        )
        result.append(song)
        by_key[key] = song
    for title, artist, kind, detail, by in _VERSIONS:
        original = by_key[song_key(title, artist)]
        key = song_key(title, by or artist, kind, detail)
        performer = by or artist
        if kind == "remix" and by:
            artists: tuple[str, ...] = (artist, by)
        elif kind == "cover":
            artists = (by,)
        else:
            artists = original.artists
        name = _VERSION_SPOTIFY[kind].format(title=original.title, detail=detail)
        album = f"{original.album} (Live)" if kind == "live" else original.album
        if kind == "cover":
            album = f"{performer} Sessions"
        elif kind in ("remix", "sped_up", "radio_edit", "instrumental"):
            album = name
        delta = {"live": 25_000, "acoustic": -8_000, "remix": 60_000, "sped_up": -40_000}
        song = Song(
            key=key,
            title=name,
            base_title=title,
            artists=artists,
            album=album,
            album_type="single" if album == name else "album",
            year=original.year + (3 if kind == "remaster" else 1),
            duration_ms=original.duration_ms + delta.get(kind, 0),
            # A remaster keeps the song but is a new recording, so it has its own ISRC.
            isrc=_isrc(key),
            kind=kind,
            detail=detail,
            original=original.key,
            explicit=original.explicit and kind != "radio_edit",
            popularity=max(5, original.popularity - 15 - _digest("pop", key) % 20),
            language=original.language,
        )
        result.append(song)
        by_key[key] = song
    for artist, _album, _, year, _ in _DISCOGRAPHY:
        if _language(artist) != "en" or any(
            s.album.endswith("Rarities") and s.artists == (artist,) for s in result
        ):
            continue
        for n in range(3):
            seed = _digest("deep", artist, n)
            title = f"{_ADJECTIVES[seed % 20]} {_NOUNS[seed // 20 % 20]}"
            key = song_key(title, artist)
            if key in by_key:
                continue
            song = Song(
                key=key,
                title=title,
                base_title=title,
                artists=(artist,),
                album="B-Sides & Rarities",
                album_type="compilation",
                year=year + 2,
                duration_ms=_duration(key),
                isrc=_isrc(key),
                popularity=5 + seed % 30,
            )
            result.append(song)
            by_key[key] = song
    for title, artist in _SINGLES:
        original = by_key[song_key(title, artist)]
        result.append(
            Song(
                key=song_key(title, artist, "single"),
                title=original.title,
                base_title=original.base_title,
                artists=original.artists,
                album=original.title,
                album_type="single",
                year=original.year,
                duration_ms=original.duration_ms,
                isrc=original.isrc,  # the same recording: duplicates share the ISRC
                kind="single",
                original=original.key,
                explicit=original.explicit,
                popularity=max(5, original.popularity - 10),
                language=original.language,
            )
        )
    return tuple(result)


def originals() -> list[Song]:
    return [s for s in songs() if s.kind == "original"]


def by_key() -> dict[str, Song]:
    return {s.key: s for s in songs()}


def versions_of(key: str) -> list[Song]:
    return [s for s in songs() if s.original == key]
