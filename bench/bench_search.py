#!/usr/bin/env python3
"""Benchmark the YouTube search queries: how often a Spotify track is found and matched,
and with how many searches (each costs 100 units of YouTube quota).

Every video of the shared development pairs goes into the sandbox's search engine (the
one its YouTube emulator answers `search.list` with: words matched exactly, by prefix
and fuzzily, ranked by field and a popularity prior). For a seeded sample of the
Spotify tracks, the sync's order is followed: `search_queries(track)` one by one, the
first 10 results of each (`SEARCH_LIMIT`) given to `match()`, stopping at the first
accepted match. A pick is right when the data links that video to the same song (the
same artist and core title, as the case generator counts it).

The same is done with a plain query, the track's artist and its whole Spotify title
("Paper Lanterns - 2011 Remaster (feat. X)"), one search, for comparison.

This measures the queries against our emulator, not against YouTube's ranking: it shows
that the queries carry the words that find the song and how often a second search is
needed, not how YouTube itself would rank the results.

    python bench/bench_search.py [--shared ../shared] [--sample 2000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from platforms.sandbox.search import SearchIndex  # noqa: E402
from platforms.sandbox.youtube_world import _popularity  # noqa: E402
from platforms.types import Platform, Track  # noqa: E402
from syncing.matching import match, search_queries  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bench_matching import _shared_dir  # noqa: E402

# Results of one search the sync gives the matcher (platforms/youtube/client.py's
# SEARCH_LIMIT; not imported, since the client needs Django set up).
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


def _run(
    sample: list[dict],
    queries_for: Callable[[Track], list[str]],
    index: SearchIndex,
    prior: dict[str, float],
    videos: dict[str, Track],
    songs_of_video: dict[str, set],
) -> dict:
    outcome: Counter[str] = Counter()
    searches = 0
    in_first_results = 0
    started = time.process_time()
    for row in sample:
        track = _spotify_track(row)
        picked = None
        for n, query in enumerate(queries_for(track)):
            searches += 1
            found = index.search(query, boost=prior)[:SEARCH_LIMIT]
            if n == 0 and row["_video"] in found:
                in_first_results += 1
            candidates = [videos[v] for v in found]
            result = match(track, candidates) if candidates else None
            if result is not None and result.choice is not None:
                picked = found[result.choice]
                outcome[f"matched at search {n + 1}"] += 1
                break
        if picked is None:
            outcome["no match"] += 1
        elif row["_song"] in songs_of_video[picked]:
            outcome["right"] += 1
        else:
            outcome["wrong"] += 1
    return {
        "outcome": outcome,
        "searches": searches,
        "in_first_results": in_first_results,
        "cpu": time.process_time() - started,
    }


def _report(name: str, figures: dict, n: int) -> None:
    o = figures["outcome"]
    print(f"\n{name}")
    print(f"  the linked video among the first {SEARCH_LIMIT} results of the first search: "
          f"{figures['in_first_results'] / n:.1%}")  # fmt: skip
    print(f"  matched, right: {o['right'] / n:.1%}; wrong: {o['wrong'] / n:.1%}; "
          f"none: {o['no match'] / n:.1%}")  # fmt: skip
    for k in sorted(k for k in o if k.startswith("matched at")):
        print(f"  {k}: {o[k] / n:.1%}")
    print(f"  searches per track: {figures['searches'] / n:.2f} "
          f"({figures['searches'] * 100 / n:.0f} YouTube units, before videos.list)")  # fmt: skip
    print(f"  {figures['cpu']:.1f} CPU-s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", help="the shared folder (default: ../shared)")
    ap.add_argument("--sample", type=int, default=2000, help="Spotify tracks to look for")
    ap.add_argument("--seed", type=int, default=20261124)
    args = ap.parse_args()
    shared = _shared_dir(args.shared)
    if shared is None:
        print("../shared is not here: no search benchmark")
        return 0
    rows, songs_of_video = _load(
        shared / "data" / "spotify_youtube" / "dev_pairs.csv", _song_key(shared)
    )
    docs, prior, videos = {}, {}, {}
    for r in rows:
        vid = r["_video"]
        if vid in docs:
            continue
        docs[vid] = {"title": r["Title"], "channel": r["Channel"]}
        prior[vid] = _popularity(SimpleNamespace(title=r["Title"], channel_title=r["Channel"]))
        videos[vid] = Track(
            platform=Platform.YOUTUBE, platform_id=vid, title=r["Title"], channel=r["Channel"]
        )
    started = time.process_time()
    index = SearchIndex(docs, {"title": 1.0, "channel": 1.0})  # as the YouTube emulator's
    print(f"{len(docs):,} videos indexed in {time.process_time() - started:.1f} CPU-s")
    sample = random.Random(args.seed).sample(rows, min(args.sample, len(rows)))
    n = len(sample)
    print(f"{n:,} Spotify tracks looked for (seed {args.seed}); "
          f"a search's first {SEARCH_LIMIT} results go to the matcher")  # fmt: skip

    ours = _run(sample, search_queries, index, prior, videos, songs_of_video)
    _report("search_queries(): up to 2 searches, stopping at the first accepted match", ours, n)
    plain = _run(
        sample,
        lambda t: [f"{t.artists[0]} {t.title}"],
        index,
        prior,
        videos,
        songs_of_video,
    )
    _report("plain query (artist and whole Spotify title), one search", plain, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
