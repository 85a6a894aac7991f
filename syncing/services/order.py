"""The fewest moves that put a playlist's synced songs in the source's order.

A mirror that keeps order moves what the source moved. Every move of a YouTube
playlist item costs 50 quota units, so the songs already in the right order relative
to each other (the longest such run, found as a longest increasing subsequence) stay
where they are and only the others move, each to just after the song that precedes it
in the source. Songs the source does not have (added by hand, an empty entry) are
never moved; the others move around them.
"""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    track_id: int
    from_index: int  # where the item is just before this move
    to_index: int  # where it is just after it


def moves_to_follow(current: Sequence[int | None], desired: Sequence[int]) -> list[Move]:
    """Moves, to apply one after the other, that put ``current`` in ``desired``'s order.

    ``current`` lists a playlist's tracks as they stand (None for an entry with no
    track); ``desired`` lists tracks in the order they should have. A track listed twice
    in ``desired`` (a pair that keeps duplicates) ranks each of its copies in turn.
    """
    ranks_of: dict[int, deque[int]] = defaultdict(deque)
    for rank, track_id in enumerate(desired):
        ranks_of[track_id].append(rank)
    ranks: list[int | None] = []
    for track_id in current:
        queue = ranks_of.get(track_id) if track_id is not None else None
        ranks.append(queue.popleft() if queue else None)
    ranked = [r for r in ranks if r is not None]
    settled = sorted(_increasing_run(ranked))
    to_move = sorted(set(ranked) - set(settled))
    tracks = list(current)
    moves = []
    for rank in to_move:
        i = ranks.index(rank)
        track_id = tracks[i]
        del ranks[i], tracks[i]
        at = bisect.bisect_left(settled, rank)
        # Just after the song before it in the source; or, first of all, just before the
        # first song after it.
        j = ranks.index(settled[at - 1]) + 1 if at else ranks.index(settled[0])
        ranks.insert(j, rank)
        tracks.insert(j, track_id)
        settled.insert(at, rank)
        if i != j:
            moves.append(Move(track_id=track_id, from_index=i, to_index=j))  # type: ignore[arg-type]
    return moves


def _increasing_run(values: list[int]) -> list[int]:
    """A longest strictly increasing subsequence of ``values`` (patience sorting)."""
    tails: list[int] = []  # tails[k]: the smallest tail of an increasing run of length k+1
    tail_at: list[int] = []  # index in values of that tail
    previous = [-1] * len(values)
    for i, value in enumerate(values):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k], tail_at[k] = value, i
        previous[i] = tail_at[k - 1] if k else -1
    run, i = [], tail_at[-1] if tail_at else -1
    while i >= 0:
        run.append(values[i])
        i = previous[i]
    return run[::-1]
