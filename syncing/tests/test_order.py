"""The moves that put a mirrored playlist in its source's order: few, and right."""

from __future__ import annotations

import random

from syncing.services.order import moves_to_follow


def apply(current, moves):
    items = list(current)
    for move in moves:
        assert items[move.from_index] == move.track_id
        items.insert(move.to_index, items.pop(move.from_index))
    return items


def test_a_playlist_already_in_order_needs_no_move():
    assert moves_to_follow([1, 2, 3, 4], [1, 2, 3, 4]) == []


def test_one_song_moved_to_the_top_of_the_source_is_one_move():
    moves = moves_to_follow([1, 2, 3, 4, 5], [5, 1, 2, 3, 4])
    assert [(m.track_id, m.from_index, m.to_index) for m in moves] == [(5, 4, 0)]


def test_a_reversed_playlist_keeps_one_song_in_place_and_moves_the_rest():
    current = [1, 2, 3, 4, 5, 6]
    moves = moves_to_follow(current, current[::-1])
    assert apply(current, moves) == current[::-1]
    assert len(moves) == 5


def test_songs_added_by_hand_stay_where_they_are_among_the_synced_ones():
    # 90 and 91 are the person's own: not in the source, never moved.
    current = [3, 90, 1, None, 2, 91]
    moves = moves_to_follow(current, [1, 2, 3])
    after = apply(current, moves)
    assert [t for t in after if t in (1, 2, 3)] == [1, 2, 3]
    assert {m.track_id for m in moves} <= {1, 2, 3}
    assert [t for t in after if t not in (1, 2, 3)] == [90, None, 91]
    assert len(moves) == 1  # 3 goes after 2; 1 and 2 are already in order


def test_copies_are_ordered_one_by_one_when_the_pair_keeps_duplicates():
    current = [2, 1, 2]
    after = apply(current, moves_to_follow(current, [1, 2, 2]))
    assert after == [1, 2, 2]


def test_a_song_the_source_lacks_or_has_fewer_copies_of_is_left_alone():
    current = [7, 2, 7, 1]
    after = apply(current, moves_to_follow(current, [1, 7, 2]))
    # The first 7 ranks between 1 and 2; the second copy is not the source's.
    ranked = [1, 7, 2]
    it = iter(after)
    assert all(t in it for t in ranked), after
    assert after.count(7) == 2


def test_random_shuffles_end_in_order_with_the_fewest_moves():
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(0, 40)
        desired = list(range(n))
        current: list[int | None] = desired[:]
        rng.shuffle(current)
        for _ in range(rng.randint(0, 5)):  # songs added by hand, empty entries
            current.insert(rng.randint(0, len(current)), rng.choice([None, 1000 + _]))
        moves = moves_to_follow(current, desired)
        after = apply(current, moves)
        assert [t for t in after if t is not None and t < 1000] == desired
        assert len(moves) == n - _longest_increasing(
            [t for t in current if t is not None and t < 1000]
        )


def _longest_increasing(values):
    best = [1] * len(values)
    for i in range(len(values)):
        for j in range(i):
            if values[j] < values[i]:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)
