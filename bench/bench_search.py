#!/usr/bin/env python3
"""Benchmark the search queries in both directions: how often a song is found and
matched, and with how many searches.

Spotify → YouTube: every video of the shared development pairs goes into the search
engine the sandbox's YouTube answers `search.list` with (words matched exactly, by
prefix and fuzzily, ranked by field and a popularity prior), and a sample of the
Spotify tracks is looked for there. Each YouTube search costs 100 units of quota.

YouTube → Spotify: every Spotify track of the pairs goes into the sandbox's Spotify
catalogue, and a sample of the videos is looked for with the emulator's own `search`
(fielded `track:`/`artist:` filters, free text, popularity from the streams).

In both, the sync's loop is followed (syncing/services/resolve.py): `search_queries()`
one at a time, the first 10 results of each (`SEARCH_LIMIT`) added to the candidates
found so far and given to `match()`, stopping at the first accepted match. Where each
song stands after the first search, the first two, ... is recorded too, so the report
shows what each further query buys. A pick is right when the data links the two to the
same song (the same artist and core title, as the case generator counts it). A plain
query runs beside ours for comparison: the artist and the whole Spotify title, or the
video's whole title.

This measures our queries against our emulators, not against the services' ranking:
it shows that the queries carry the words that find the song, and what each further
search buys, not how YouTube or Spotify would rank the results.

    python bench/bench_search.py [--shared ../shared] [--sample 2000] [--side youtube]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from platforms.sandbox.search import SearchIndex  # noqa: E402
from platforms.sandbox.seed import load_pairs_csv  # noqa: E402
from platforms.sandbox.spotify import search_tracks  # noqa: E402
from platforms.sandbox.spotify_world import SpotifyWorld  # noqa: E402
from platforms.sandbox.youtube_world import _popularity  # noqa: E402
from platforms.types import Platform, Track  # noqa: E402
from syncing.matching import match, search_queries  # noqa: E402
from syncing.matching.queries import MAX_QUERIES  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bench_matching import _shared_dir  # noqa: E402

# Results of one search the sync gives the matcher (the SEARCH_LIMIT of
# platforms/youtube/client.py and platforms/spotify/client.py; not imported, since the
# clients need Django set up).
SEARCH_LIMIT = 10


def _song_key(shared: Path) -> Callable[[str, str], tuple[str, str]]:
    """The case generator's notion of "the same song" (artist and core title)."""
    sys.path.insert(0, str(shared / "tools"))
    import make_match_cases as cases  # noqa: PLC0415 - from ../shared, read at run time

    return lambda artist, title: (cases.artist_key(artist), cases.core_title(title))


def _load(pairs: Path, song_key) -> tuple[list[dict], dict[str, set]]:
    with open(pairs, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("Title") and r.get("Track")]
    songs_of_video: dict[str, set] = {}
    for r in rows:
        r["_video"] = f"{r['Title']}\x1f{r['Channel']}"
        r["_song"] = song_key(r["Artist"], r["Track"])
        songs_of_video.setdefault(r["_video"], set()).add(r["_song"])
    return rows, songs_of_video


def _spotify_track(row: dict) -> Track:
    duration = row.get("Duration_ms")
    return Track(
        platform=Platform.SPOTIFY,
        platform_id=f"sp-{row['row_id']}",
        title=row["Track"],
        artists=(row["Artist"],),
        album=row.get("Album") or "",
        duration_ms=int(float(duration)) if duration else None,
    )


def _video(row: dict) -> Track:
    # As in the case generator: this data has no video lengths.
    return Track(
        platform=Platform.YOUTUBE, platform_id=row["_video"], title=row["Title"],
        channel=row["Channel"],
    )  # fmt: skip


@dataclass(frozen=True)
class _Side:
    """One direction: the engine to search, and how to tell a right pick."""

    name: str
    search: Callable[[str], list[str]]  # a query -> result ids, best first
    candidate: Callable[[str], Track]  # a result id -> the track the matcher sees
    is_right: Callable[[dict, str], bool]  # (the source's row, a result id)
    plain: Callable[[Track], list[str]]  # the plain query, for comparison
    plain_name: str


def _youtube_side(rows: list[dict], songs_of_video: dict[str, set]) -> _Side:
    docs, prior, videos = {}, {}, {}
    for r in rows:
        vid = r["_video"]
        if vid not in docs:
            docs[vid] = {"title": r["Title"], "channel": r["Channel"]}
            prior[vid] = _popularity(SimpleNamespace(title=r["Title"], channel_title=r["Channel"]))
            videos[vid] = _video(r)
    started = time.process_time()
    index = SearchIndex(docs, {"title": 1.0, "channel": 1.0})  # as the YouTube emulator's
    print(f"{len(docs):,} videos indexed in {time.process_time() - started:.1f} CPU-s")
    return _Side(
        "Spotify → YouTube (each search: 100 units)",
        lambda q: index.search(q, boost=prior)[:SEARCH_LIMIT],
        videos.__getitem__,
        lambda row, vid: row["_song"] in songs_of_video[vid],
        lambda t: [f"{t.artists[0]} {t.title}"],
        "plain query (artist and whole Spotify title)",
    )


def _spotify_side(pairs: Path, song_key, songs_of_video: dict[str, set]) -> _Side:
    world = SpotifyWorld()
    state = SimpleNamespace(spotify=world, youtube=None, lock=threading.Lock(), touch=int)
    started = time.process_time()
    load_pairs_csv(state, pairs)
    world.index  # noqa: B018 - built here, so that its time is not the first search's
    cpu = time.process_time() - started
    print(f"{len(world.tracks):,} Spotify tracks loaded and indexed in {cpu:.1f} CPU-s")

    def candidate(track_id: str) -> Track:
        t = world.tracks[track_id]
        return Track(
            platform=Platform.SPOTIFY, platform_id=t.id, title=t.name,
            artists=tuple(world.artists[a].name for a in t.artist_ids),
            album=world.albums[t.album_id].name, duration_ms=t.duration_ms,
        )  # fmt: skip

    def is_right(row: dict, track_id: str) -> bool:
        t = world.tracks[track_id]
        return (
            song_key(world.artists[t.artist_ids[0]].name, t.name) in songs_of_video[row["_video"]]
        )

    return _Side(
        "YouTube → Spotify",
        lambda q: search_tracks(world, q)[:SEARCH_LIMIT],
        candidate,
        is_right,
        lambda v: [v.title],
        "plain query (the video's whole title)",
    )


def _run(side: _Side, sample: list[dict], source_of, queries_for) -> dict:
    """How each source ends with at most 1, 2, ... searches, as the sync would leave it."""
    caps = range(1, MAX_QUERIES + 1)
    outcome = {cap: Counter() for cap in caps}
    searches = dict.fromkeys(caps, 0)
    in_first = longest = 0
    started = time.process_time()
    for row in sample:
        source = source_of(row)
        seen: dict[str, Track] = {}
        states: list[str] = []  # after each search sent: right, wrong or none (yet)
        for query in queries_for(source)[:MAX_QUERIES]:
            found = side.search(query)
            if not states and any(side.is_right(row, f) for f in found):
                in_first += 1
            for f in found:
                seen.setdefault(f, side.candidate(f))
            result = match(source, list(seen.values())) if seen else None
            state = "none"
            if result is not None and result.choice is not None:
                state = "right" if side.is_right(row, list(seen)[result.choice]) else "wrong"
            states.append(state)
            if state != "none":
                break
        longest = max(longest, len(states))
        for cap in caps:
            sent = min(cap, len(states))
            searches[cap] += sent
            outcome[cap][states[sent - 1] if sent else "none"] += 1
    return {
        "outcome": {cap: outcome[cap] for cap in range(1, max(longest, 1) + 1)},
        "searches": searches, "in_first": in_first, "cpu": time.process_time() - started,
    }  # fmt: skip


def _report(name: str, figures: dict, n: int) -> None:
    print(f"\n{name}")
    print(f"  a right candidate among the first {SEARCH_LIMIT} results of the first search: "
          f"{figures['in_first']:,} ({figures['in_first'] / n:.1%})")  # fmt: skip
    last = max(figures["outcome"])
    for cap, o in figures["outcome"].items():
        mark = "  <- every query: what a sync does" if cap == last and cap > 1 else ""
        print(f"  at most {cap} search{'es' if cap > 1 else ''}: "
              f"right {o['right']:,} ({o['right'] / n:.1%}), wrong {o['wrong']:,} "
              f"({o['wrong'] / n:.1%}), none {o['none']:,} ({o['none'] / n:.1%}); "
              f"{figures['searches'][cap]:,} searches, "
              f"{figures['searches'][cap] / n:.3f} per source{mark}")  # fmt: skip
    print(f"  {figures['cpu']:.1f} CPU-s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", help="the shared folder (default: ../shared)")
    ap.add_argument("--sample", type=int, default=2000, help="sources looked for, each side")
    ap.add_argument("--side", choices=("youtube", "spotify", "both"), default="both",
                    help="the platform searched")  # fmt: skip
    ap.add_argument("--seed", type=int, default=20261124)
    args = ap.parse_args()
    shared = _shared_dir(args.shared)
    if shared is None:
        print("../shared is not here: no search benchmark")
        return 0
    pairs = shared / "data" / "spotify_youtube" / "dev_pairs.csv"
    song_key = _song_key(shared)
    rows, songs_of_video = _load(pairs, song_key)
    rng = random.Random(args.seed)
    if args.side in ("youtube", "both"):
        side = _youtube_side(rows, songs_of_video)
        sample = rng.sample(rows, min(args.sample, len(rows)))
        _looked_for(side, len(sample), "Spotify tracks", args.seed)
        _both(side, sample, _spotify_track)
    if args.side in ("spotify", "both"):
        side = _spotify_side(pairs, song_key, songs_of_video)
        one_per_video = list({r["_video"]: r for r in rows}.values())
        sample = rng.sample(one_per_video, min(args.sample, len(one_per_video)))
        _looked_for(side, len(sample), "videos", args.seed)
        _both(side, sample, _video)
    return 0


def _looked_for(side: _Side, n: int, what: str, seed: int) -> None:
    print(f"\n== {side.name}: {n:,} {what} looked for (seed {seed}); "
          f"a search's first {SEARCH_LIMIT} results go to the matcher")  # fmt: skip


def _both(side: _Side, sample: list[dict], source_of) -> None:
    n = len(sample)
    ours = _run(side, sample, source_of, search_queries)
    _report("search_queries(), stopping at the first accepted match", ours, n)
    plain = _run(side, sample, source_of, side.plain)
    _report(f"{side.plain_name}, one search", plain, n)


if __name__ == "__main__":
    sys.exit(main())
