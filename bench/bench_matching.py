#!/usr/bin/env python3
"""Benchmark the track matcher on the shared Spotify<->YouTube development cases.

Generates the cases with shared/tools/make_match_cases.py (default seed) into a temp
dir, runs the matcher on them in this process, and prints precision, recall, F1, the
false-accept rate per direction and the speed. With --split it also builds the cases
separately for two halves of the artists (by a hash of the artist's name) and scores
each half, to show that the figures hold on artists the rules were not tuned on.

    python bench/bench_matching.py [--shared ../shared] [--split] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syncing.matching.evaluation import SCORING, evaluate, read_cases  # noqa: E402
from syncing.matching.scoring import ACCEPT_THRESHOLD  # noqa: E402


def _shared_dir(given: str | None) -> Path | None:
    for candidate in [given, ROOT.parent / "shared", Path("/work/shared")]:
        if candidate and (Path(candidate) / "tools" / "make_match_cases.py").is_file():
            return Path(candidate)
    return None


def _make_cases(shared: Path, pairs: Path, out: Path, limit: int | None) -> None:
    cmd = [
        sys.executable,
        str(shared / "tools" / "make_match_cases.py"),
        str(pairs),
        "-o",
        str(out),
    ]
    if limit:
        cmd += ["--limit", str(limit)]
    subprocess.run(cmd, check=True, capture_output=True)


def _artist_half(artist: str) -> str:
    # Stable across runs and machines; "a" is the half the thresholds were tuned on.
    digest = hashlib.sha256(" ".join(artist.casefold().split()).encode()).hexdigest()
    return "a" if int(digest, 16) % 2 == 0 else "b"


def _split_pairs(pairs: Path, tmp: Path) -> dict[str, Path]:
    with open(pairs, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        fields = reader.fieldnames or []
    halves: dict[str, Path] = {}
    for half in ("a", "b"):
        path = tmp / f"pairs_{half}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(r for r in rows if _artist_half(r["Artist"]) == half)
        halves[half] = path
    return halves


def _report(title: str, cases_path: Path) -> None:
    evaluation = evaluate(read_cases(cases_path))
    print(f"\n== {title}")
    for line in evaluation.lines():
        print(line)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", help="the shared directory (default: ../shared next to the repo)")
    ap.add_argument("--split", action="store_true", help="also score two halves of the artists")
    ap.add_argument("--limit", type=int, help="use only this many source rows per direction")
    ap.add_argument(
        "--no-parse-cache",
        action="store_true",
        help="parse every track afresh (the cases repeat tracks more than a sync does)",
    )
    args = ap.parse_args()
    if args.no_parse_cache:
        from syncing.matching import normalize

        normalize._parse_spotify = normalize._parse_spotify.__wrapped__
        normalize._parse_youtube = normalize._parse_youtube.__wrapped__
    shared = _shared_dir(args.shared)
    if shared is None:
        print("shared data not found (give --shared); nothing to benchmark")
        return 0
    pairs = shared / "data" / "spotify_youtube" / "dev_pairs.csv"
    print(f"accept threshold {ACCEPT_THRESHOLD}; {SCORING}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cases = tmp / "cases.jsonl"
        _make_cases(shared, pairs, cases, args.limit)
        _report("development cases (make_match_cases.py, default seed)", cases)
        if args.split:
            for half, half_pairs in _split_pairs(pairs, tmp).items():
                half_cases = tmp / f"cases_{half}.jsonl"
                _make_cases(shared, half_pairs, half_cases, args.limit)
                label = "tuning half" if half == "a" else "held-out half"
                _report(f"artists half {half} ({label})", half_cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
