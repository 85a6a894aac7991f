"""A run's plan: what becomes of every item of both collections, in each mode.

The run (and its dry run) and the pair form's preview all plan with ``plan_changes``,
so they cannot disagree; the preview only hands it resolvers that never search. Every
available item of the source (and, in two way, of the target) ends up in the plan as
added, kept, unmatched or a duplicate with its reason: nothing is dropped unsaid.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from platforms.models import Collection, CollectionItem, Platform, Track
from syncing.models import RunChange, SyncedItem, SyncPair
from syncing.services.order import moves_to_follow
from syncing.services.resolve import IN_TARGET, Resolution

Action, Side, Outcome = RunChange.Action, RunChange.Side, RunChange.Outcome
FORWARD, BACKWARD = "forward", "backward"
# resolve(direction, source track ids, the other side's track ids, known links)
Resolve = Callable[[str, list[int], list[int], dict[int, int]], dict[int, Resolution]]


@dataclass
class Entry:
    position: int
    track_id: int | None
    entry_id: str
    available: bool
    collection_id: int
    # An empty entry that may hold one of these tracks (the import could not tell which).
    possible: tuple[int, ...] = ()


def entries_of(collections: list[Collection]) -> list[Entry]:
    rows = (
        CollectionItem.objects.filter(collection__in=collections)
        .order_by("collection_id", "position")
        .values_list(
            "position",
            "track_id",
            "entry_id",
            "track__available",
            "collection_id",
            "possible_track_ids",
        )
    )
    order = {c.pk: i for i, c in enumerate(collections)}
    entries = [
        Entry(p, t, e, bool(a) if t else False, c, tuple(maybe or ()))
        for p, t, e, a, c, maybe in rows
    ]
    entries.sort(key=lambda e: (order[e.collection_id], e.position))
    return entries


def listed_ids(entries: list[Entry]) -> set[int]:
    """Tracks a collection may still hold: listed (playable or not), or possibly held by
    an empty entry. None of them was removed by anybody."""
    return {e.track_id for e in entries if e.track_id} | {t for e in entries for t in e.possible}


# A run that would remove at least this many songs from one side, and more than this
# share of that side, holds its removals until the person confirms them: a platform
# glitch that lists a playlist empty, or a library that came back reset, must not empty
# the other side.
MASS_REMOVAL_MIN = 10
MASS_REMOVAL_SHARE = 0.5
HELD_BACK = "held back"
# Why a song in the target moves (a mirror that keeps the source's order).
MOVE_REASON = "the source has it elsewhere: moved to the same place"


def plan_changes(
    *,
    pair: SyncPair,
    source: list[Entry],
    target: list[Entry],
    resolve: Resolve,
    confirmed: frozenset[tuple[str, int]] | None = frozenset(),
) -> list[RunChange]:
    """The changes that bring the target (and, two way, the source) in step.

    Removals that would take most of a side are held back for the person to confirm,
    except those in ``confirmed`` (side, track): the ones the person saw held back and
    confirmed. None confirms them all (`sync_user --confirm-removals`).
    """
    planner = _Planner(pair, resolve, {e.collection_id for e in (*source, *target)})
    if pair.mode == SyncPair.Mode.TWO_WAY:
        changes = planner.two_way(source, target)
    else:
        changes = planner.one_way(source, target)
    if confirmed is not None:
        sizes = {Side.SOURCE: len(source), Side.TARGET: len(target)}
        _hold_mass_removals(changes, sizes, confirmed=confirmed)
    if follows_source_order(pair):
        changes.extend(_moves(changes, target, keep_duplicates=pair.keep_duplicates))
    return changes


def follows_source_order(pair: SyncPair) -> bool:
    """A mirror that keeps order moves what the source moved (one playlist: an overflow
    "(2)" continues it, and the liked songs have the platform's own order)."""
    return (
        pair.mode == SyncPair.Mode.MIRROR
        and pair.keep_order
        and not _is_liked(pair.target)
        and not pair.overflow_targets
    )


def desired_order(changes: list[RunChange], *, keep_duplicates: bool) -> list[tuple[int, int]]:
    """(counterpart, source item) in the source's order: what the target should list."""
    order = [
        (c.counterpart_id, c.item_id)
        for c in changes
        if c.action in (Action.KEEP, Action.ADD) and c.side == Side.TARGET and c.counterpart_id
    ]
    if keep_duplicates:
        return order
    return list({t: (t, s) for t, s in reversed(order)}.values())[::-1]


def first_sources(wanted: list[tuple[int, int]]) -> dict[int, int]:
    """Each counterpart's first source item in ``desired_order``: the one a move names."""
    return {t: s for t, s in reversed(wanted)}


def _moves(changes: list[RunChange], target: list[Entry], *, keep_duplicates: bool):
    """Songs already in the target that the source has in another order.

    Additions go in at their place; these moves put the rest in step. The run works
    them out again once its additions and removals have landed.
    """
    removed_entries = {
        c.entry_id for c in changes if c.action == Action.REMOVE and c.outcome == Outcome.PLANNED
    }
    removed_tracks = {
        c.counterpart_id
        for c in changes
        if c.action == Action.REMOVE and c.outcome == Outcome.PLANNED and not c.entry_id
    }
    staying = [
        e
        for e in target
        if not (e.entry_id and e.entry_id in removed_entries) and e.track_id not in removed_tracks
    ]
    wanted = desired_order(changes, keep_duplicates=keep_duplicates)
    source_of = first_sources(wanted)
    moves = moves_to_follow([e.track_id for e in staying], [t for t, _ in wanted])
    return [
        RunChange(
            action=Action.MOVE,
            side=Side.TARGET,
            item_id=source_of[m.track_id],
            counterpart_id=m.track_id,
            position=m.to_index,
            reason=MOVE_REASON,
        )
        for m in moves
    ]


def _hold_mass_removals(
    changes: list[RunChange], sizes: dict[str, int], *, confirmed: frozenset[tuple[str, int]]
) -> None:
    """Turns the removals from a side into skipped ones when they would take most of it.

    Those in ``confirmed`` (side, track), which the person saw held back and confirmed,
    go ahead; the rest wait for a confirmation of their own.
    """
    for side, size in sizes.items():
        removals = [c for c in changes if c.action == Action.REMOVE and c.side == side]
        count = len(removals)
        if count < MASS_REMOVAL_MIN or count <= size * MASS_REMOVAL_SHARE:
            continue
        name = "source" if side == Side.SOURCE else "target"
        held = [c for c in removals if (c.side, c.counterpart_id) not in confirmed]
        already = f", {count - len(held)} of them confirmed already" if len(held) < count else ""
        for change in held:
            change.outcome = Outcome.SKIPPED
            change.reason = (
                f"{HELD_BACK}: this run would remove {count} of the {size} songs in the "
                f"{name} at once{already}; confirm on the run page to remove them "
                f"({change.reason})"
            )[:1000]


def _is_liked(collection: Collection | None) -> bool:
    return collection is not None and collection.kind == Collection.Kind.LIKED


def _why(res: Resolution) -> str:
    return "; ".join(res.reasons)[:1000]


def _match_why(res: Resolution) -> str:
    """The matcher's reasons for an addition, without "already in the target"."""
    return "; ".join(r for r in res.reasons if r != IN_TARGET)[:1000]


def unmatched_change(
    source_id: int, res: Resolution | None, *, side: str = Side.TARGET
) -> RunChange:
    change = RunChange(
        action=Action.UNMATCHED,
        side=side,
        item_id=source_id,
        outcome=Outcome.SKIPPED,
        confidence=res.confidence if res else None,
        method="never" if res and res.outcome == "never" else (res.method if res else ""),
        reason=_why(res) if res and res.reasons else "no match found",
    )
    change._candidates = res.candidates if res else []
    return change


class _Planner:
    def __init__(self, pair: SyncPair, resolve: Resolve, collection_ids: set[int]):
        self.pair = pair
        self.resolve = resolve
        self._collection_ids = collection_ids
        self._titles: dict[int, str] | None = None
        # Two-way links found in this plan (added, or on both sides), as (source, target).
        self._pending: list[tuple[int, int]] = []

    def _title(self, track_id: int | None) -> str:
        if self._titles is None:
            # Only a plan with duplicates names songs: one query then, for all of them.
            items = CollectionItem.objects.filter(
                collection_id__in=self._collection_ids, track__isnull=False
            )
            self._titles = dict(items.values_list("track_id", "track__title"))
        if track_id not in self._titles:  # a counterpart found by search, not added yet
            title = Track.objects.filter(pk=track_id).values_list("title", flat=True).first()
            self._titles[track_id] = title or "?"
        return self._titles[track_id]

    def _same_song(self, first: int, counterpart: int, *, verb: str) -> str:
        return (
            f"the same song as '{self._title(first)}', which is {verb} "
            f"'{self._title(counterpart)}': one copy, nothing written"
        )

    def _synced(self) -> list[tuple[int, int]]:
        if self.pair.pk is None:  # the preview of a pair not saved yet
            return []
        return list(
            SyncedItem.objects.filter(pair=self.pair).values_list(
                "source_track_id", "target_track_id"
            )
        )

    # --- one way ----------------------------------------------------------------------

    def _source_order(self, source: list[Entry]) -> tuple[list[int], list[RunChange]]:
        """The source's available tracks in order (deduplicated unless kept), and the rest."""
        ordered, skipped, seen = [], [], set()
        for entry in source:
            if not entry.available:
                skipped.append(
                    _skipped(
                        Action.UNAVAILABLE,
                        entry.track_id,
                        "unavailable on the source platform (removed, private, local file)"
                        + _maybe_one_of(entry),
                    )
                )
                continue
            if entry.track_id in seen and not self.pair.keep_duplicates:
                skipped.append(
                    _skipped(
                        Action.KEEP,
                        entry.track_id,
                        "in the source more than once: the target gets one copy",
                    )
                )
                continue
            seen.add(entry.track_id)
            ordered.append(entry.track_id)
        return ordered, skipped

    def one_way(self, source: list[Entry], target: list[Entry]) -> list[RunChange]:
        pair = self.pair
        synced = self._synced()
        present = Counter(e.track_id for e in target if e.track_id)
        # A source item may be linked to several target items (another upload the person
        # matched in review): follow the link to one still in the target.
        links: dict[int, int] = {}
        for s, t in synced:
            if s not in links or present[t] and not present[links[s]]:
                links[s] = t
        ordered, changes = self._source_order(source)
        candidates = list(dict.fromkeys(e.track_id for e in target if e.track_id))
        resolutions = self.resolve(FORWARD, ordered, candidates, links)
        linked_targets = set(links.values())
        present = present.copy()
        first_for: dict[int, int] = {}  # counterpart -> the first source item wanting it
        planned_adds: set[int] = set()
        wanted: Counter = Counter()
        position = 0
        for source_id in ordered:
            res = resolutions.get(source_id)
            if res is None or res.outcome != "matched":
                changes.append(unmatched_change(source_id, res))
                continue
            target_id = res.target_id
            first = first_for.setdefault(target_id, source_id)
            if not pair.keep_duplicates and (wanted[target_id] or target_id in planned_adds):
                # Two source items with one counterpart (a single and its album version):
                # the target gets it once, now and on every later run.
                verb = "being added as" if target_id in planned_adds else "already in the target as"
                changes.append(
                    _keep(source_id, res, reason=self._same_song(first, target_id, verb=verb))
                )
                continue
            another_copy = wanted[target_id] > 0 or target_id in planned_adds
            wanted[target_id] += 1
            if present[target_id] > 0:
                present[target_id] -= 1
                changes.append(_keep(source_id, res, reason="already in the target"))
                position += 1
                continue
            planned_adds.add(target_id)
            reason = _match_why(res)
            if another_copy:
                reason = f"another copy, as the pair keeps duplicates; {reason}"
            elif target_id in linked_targets:
                reason = f"no longer in the target, added again as the source has it; {reason}"
            changes.append(
                RunChange(
                    action=Action.ADD,
                    side=Side.TARGET,
                    item_id=source_id,
                    counterpart_id=target_id,
                    confidence=res.confidence,
                    method=res.method,
                    position=position if pair.keep_order and not _is_liked(pair.target) else None,
                    reason=reason[:1000],
                )  # fmt: skip
            )
            position += 1
        if pair.mode == SyncPair.Mode.MIRROR:
            # An unavailable item (a video gone private) is still in the source: its
            # counterpart stays, as it would if the item played.
            in_source = set(ordered) | listed_ids(source)
            still_linked = {t for s, t in synced if s in in_source}
            changes.extend(self._mirror_removals(target, wanted, links, still_linked))
        return changes

    def _mirror_removals(
        self, target, wanted: Counter, links: dict[int, int], still_linked: set[int]
    ) -> list[RunChange]:
        pair = self.pair
        added_by_sync = (
            set(
                SyncedItem.objects.filter(pair=pair, added_by_sync=True).values_list(
                    "target_track_id", flat=True
                )
            )
            if pair.pk
            else set()
        )
        reverse_links = {t: s for s, t in links.items()}
        in_source = {t for t, n in wanted.items() if n > 0}
        changes = []
        for entry in target:
            if entry.track_id is None or not entry.available and not pair.strict:
                continue
            if wanted[entry.track_id] > 0:
                wanted[entry.track_id] -= 1
                continue
            if entry.track_id in in_source:
                # A copy more than the source has: the sync put it there only if the pair
                # keeps duplicates; otherwise a person did, and only strict removes it.
                # Spotify can only remove every copy of a track at once, so there the
                # extra copy stays.
                if not entry.entry_id or not (
                    pair.strict or pair.keep_duplicates and entry.track_id in added_by_sync
                ):
                    continue
                reason = "a copy more than the source has"
            elif entry.track_id in still_linked:
                continue  # another upload linked to a song still in the source
            elif not (pair.strict or entry.track_id in added_by_sync):
                continue  # added by hand: kept unless the pair is strict
            elif entry.track_id in added_by_sync:
                reason = "no longer in the source"
            else:
                reason = "not in the source (strict mirror)"
            changes.append(_removal(entry, reverse_links.get(entry.track_id), reason))
        return changes

    # --- two way ----------------------------------------------------------------------

    def two_way(self, source: list[Entry], target: list[Entry]) -> list[RunChange]:
        source_platform = self.pair.source.connection.platform
        s_present = Counter(e.track_id for e in source if e.track_id and e.available)
        t_present = Counter(e.track_id for e in target if e.track_id and e.available)
        changes = [
            _skipped(
                Action.UNAVAILABLE,
                e.track_id,
                f"unavailable on {Platform(platform).label}{_maybe_one_of(e)}",
                side,
            )
            for entries, side, platform in (
                (source, Side.TARGET, source_platform),
                (target, Side.SOURCE, self.pair.target_platform),
            )
            for e in entries
            if not e.available
        ]
        changes += [
            _skipped(
                Action.KEEP,
                track_id,
                f"in the {name} more than once: the other side keeps one copy",
                side,
            )
            for present, side, name in (
                (s_present, Side.TARGET, "source"),
                (t_present, Side.SOURCE, "target"),
            )  # fmt: skip
            for track_id, count in present.items()
            for _ in range(count - 1)
        ]
        base = self._synced()
        # Links of the base whose two items are both still there.
        links = [(s, t) for s, t in base if s_present[s] and t_present[t]]
        linked_s = {s for s, _ in links}
        linked_t = {t for _, t in links}
        # What is in a collection at all, playable or not: an item that turned unavailable
        # (a video gone private or deleted) was not removed by anybody.
        s_any, t_any = listed_ids(source), listed_ids(target)
        removals = self._two_way_removals(base, source, target, s_any, t_any, linked_s, linked_t)
        # A song removed with all its copies is not also "kept once" as a duplicate.
        removed = {c.counterpart_id for c in removals}
        changes = [
            c for c in changes
            if not (c.action == Action.KEEP and c.item_id in removed)
        ]  # fmt: skip
        changes += removals
        kept = [_both(s, t, "on both sides") for s, t in links]
        base_s, base_t = {s for s, _ in base}, {t for _, t in base}
        new_sources = [s for s in dict.fromkeys(e.track_id for e in source) if s and
                       s_present[s] and s not in base_s]  # fmt: skip
        new_targets = [t for t in dict.fromkeys(e.track_id for e in target) if t and
                       t_present[t] and t not in base_t]  # fmt: skip
        # Each direction sees every item of the other side, linked or not: a new item
        # that is the same song as one already paired is a duplicate, not a new upload.
        res_f = self.resolve(FORWARD, new_sources, list(t_present), {})
        unmatched_s: dict[int, RunChange] = {}
        for s in new_sources:
            r = res_f.get(s)
            if r is None or r.outcome != "matched":
                unmatched_s[s] = unmatched_change(s, r)
                continue
            t = r.target_id
            if t in linked_t:
                first = next(a for a, b in [*links, *self._pending] if b == t)
                verb = "already paired with" if t_present[t] else "being added as"
                kept.append(_both(s, t, self._same_song(first, t, verb=verb), r))
            elif t_present[t]:
                kept.append(_both(s, t, f"on both sides; {_why(r)}", r))
            else:
                changes.append(_addition(s, t, r, side=Side.TARGET))
            self._pending.append((s, t))
            linked_s.add(s)
            linked_t.add(t)
        remaining = [t for t in new_targets if t not in linked_t]
        res_b = self.resolve(BACKWARD, remaining, list(s_present), {})
        for t in remaining:
            r = res_b.get(t)
            if r is None or r.outcome != "matched":
                changes.append(unmatched_change(t, r, side=Side.SOURCE))
                continue
            s = r.target_id
            if s in linked_s:
                first = next(b for a, b in [*links, *self._pending] if a == s)
                verb = "already paired with" if s_present[s] else "being added as"
                kept.append(_both(s, t, self._same_song(first, s, verb=verb), r, side=Side.SOURCE))
            elif s_present[s]:
                # The other direction found nothing for s; this item is its counterpart.
                unmatched_s.pop(s, None)
                kept.append(_both(s, t, f"on both sides; {_why(r)}", r, side=Side.SOURCE))
            else:
                changes.append(_addition(t, s, r, side=Side.SOURCE))
            self._pending.append((s, t))
            linked_s.add(s)
            linked_t.add(t)
        return [*changes, *unmatched_s.values(), *kept]

    def _two_way_removals(
        self, base, source, target, s_any, t_any, linked_s, linked_t
    ) -> list[RunChange]:
        """Removed on one side since the last run: removed on the other, every copy of it,
        unless the item there is still paired with another one (a duplicate that stays).
        A copy left behind would come back to the first side at the next run."""
        s_entries, t_entries = defaultdict(list), defaultdict(list)
        for e in source:
            s_entries[e.track_id].append(e)
        for e in target:
            t_entries[e.track_id].append(e)
        changes, gone_s, gone_t = [], set(), set()
        for s, t in base:
            s_in, t_in = s in s_any, t in t_any
            if t_in and not s_in and t not in linked_t and t not in gone_t:
                gone_t.add(t)
                reason = "removed from the source since the last sync"
                changes += [_removal(e, s, reason, side=Side.TARGET) for e in t_entries[t]]
            elif s_in and not t_in and s not in linked_s and s not in gone_s:
                gone_s.add(s)
                reason = "removed from the target since the last sync"
                changes += [_removal(e, t, reason, side=Side.SOURCE) for e in s_entries[s]]
        return changes


def _maybe_one_of(entry: Entry) -> str:
    if not entry.possible:
        return ""
    n = len(entry.possible)
    return (
        f"; it held one of {n} songs added at the same moment that are no longer listed, "
        "so none of them counts as removed"
    )


def _addition(item_id: int, counterpart_id: int, res: Resolution, *, side: str) -> RunChange:
    """A two-way addition of ``item_id``'s counterpart to ``side``."""
    return RunChange(
        action=Action.ADD, side=side, item_id=item_id, counterpart_id=counterpart_id,
        confidence=res.confidence, method=res.method, reason=_match_why(res),
    )  # fmt: skip


def _removal(
    entry: Entry, item_id: int | None, reason: str, *, side: str = Side.TARGET
) -> RunChange:
    """Taking ``entry`` (one copy) out of ``side``; ``item_id`` is its counterpart, if any.

    Its place is kept with it, so that an undo puts it back there.
    """
    return RunChange(
        action=Action.REMOVE, side=side, item_id=item_id, counterpart_id=entry.track_id,
        entry_id=entry.entry_id, collection_id=entry.collection_id, reason=reason,
        position=entry.position,
    )  # fmt: skip


def _skipped(action: str, item_id: int | None, reason: str, side: str = Side.TARGET) -> RunChange:
    """An item the plan accounts for without writing anything (unavailable, a duplicate)."""
    return RunChange(
        action=action, side=side, item_id=item_id, outcome=Outcome.SKIPPED, reason=reason
    )


def _keep(source_id: int, res: Resolution, *, reason: str) -> RunChange:
    return RunChange(
        action=Action.KEEP, item_id=source_id, counterpart_id=res.target_id,
        outcome=Outcome.SKIPPED, confidence=res.confidence, method=res.method,
        reason=reason[:1000],
    )  # fmt: skip


def _both(
    s: int, t: int, reason: str, res: Resolution | None = None, *, side: str = Side.TARGET
) -> RunChange:
    """A two-way link, nothing written: oriented like an addition to ``side``."""
    item, counterpart = (s, t) if side == Side.TARGET else (t, s)
    return RunChange(
        action=Action.KEEP, side=side, item_id=item, counterpart_id=counterpart,
        outcome=Outcome.SKIPPED, confidence=res.confidence if res else None,
        method=res.method if res else "", reason=reason[:1000],
    )  # fmt: skip
