#!/usr/bin/env python3
"""`make bench`: the benchmarks, by part. `make bench BENCH=matching` runs one part.

Parts: matching (the matcher on the shared development cases; needs ../shared);
search (the search queries both ways, followed by the matcher, on the sandbox's search
engines over the development videos and tracks; needs ../shared);
sync (a 10,000-track library synced both ways against the sandbox, then again unchanged);
web (pages and API under wrk beside a bare view; needs wrk, PostgreSQL and Redis);
many (1,000 people's hourly pairs fired at once and drained by 1, then 2 worker processes,
then with scarce YouTube quota; needs PostgreSQL and Redis).
Figures and the commands that produced them go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PARTS = {
    "matching": [sys.executable, str(ROOT / "bench_matching.py"), "--split"],
    "search": [sys.executable, str(ROOT / "bench_search.py"), "--sample", "20000"],
    "sync": [sys.executable, str(ROOT / "bench_sync.py"), "--tracks", "10000"],
    "web": [sys.executable, str(ROOT / "bench_web.py")],
    "many": [sys.executable, str(ROOT / "bench_many.py")],
}


def main(argv: list[str]) -> int:
    wanted = argv or list(PARTS)
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        print(f"unknown part(s) {', '.join(unknown)}; parts: {', '.join(PARTS)}")
        return 2
    status = 0
    for part in wanted:
        print(f"\n== bench: {part}\n$ {' '.join(PARTS[part])}", flush=True)
        status |= subprocess.call(PARTS[part])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
