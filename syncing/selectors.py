"""Read queries over pairs, runs and the review queue, shared by the pages and the API.

Every ``get_<thing>_for_user`` raises Http404 for what is not the person's, so nobody
learns that somebody else's pair or run exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from platforms.models import Connection, Track
from syncing.models import ReviewItem, Run, RunChange, SyncPair

# RunChange.method of a source item the person said never to match (in the review queue).
NEVER_MATCH = "never"


def _get(qs: QuerySet, pk, what: str):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {what}.")


def _pairs_queryset(*, user) -> QuerySet[SyncPair]:
    return SyncPair.objects.filter(user=user).select_related(
        "source__connection", "target__connection"
    )


def get_pair_for_user(*, user, pk) -> SyncPair:
    return _get(_pairs_queryset(user=user), pk, "sync pair")


def get_run_for_user(*, user, pk) -> Run:
    return _get(
        Run.objects.filter(user=user).select_related(
            "pair__source__connection", "pair__target__connection", "undo_of", "retry_of"
        ),
        pk,
        "run",
    )


def get_review_item_for_user(*, user, pk) -> ReviewItem:
    return _get(
        ReviewItem.objects.filter(user=user).select_related("source", "pair"), pk, "review item"
    )


def _attach_last_runs(pairs: list[SyncPair]) -> list[SyncPair]:
    runs = Run.objects.in_bulk([p.last_run_id for p in pairs if p.last_run_id])
    for pair in pairs:
        pair.last_run = runs.get(pair.last_run_id)
    return pairs


def pairs_for_user(*, user, connections: Iterable[Connection] | None = None) -> list[SyncPair]:
    """The person's pairs, each with ``last_run`` (the latest real run, or None).

    Three queries whatever the number of pairs (two when the caller has the person's
    ``connections`` already): the pairs with the id of their last run as a subquery,
    the connections, then those runs. The connections are read once and shared, not
    joined into every row: a row of a 50-pair list would otherwise build (and
    decrypt the tokens of) its own copy of the same two.
    """
    last = (
        Run.objects.filter(pair=OuterRef("pk"), dry_run=False)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    pairs = list(
        SyncPair.objects.filter(user=user)
        .select_related("source", "target")
        .annotate(last_run_id=Subquery(last))
        .order_by("created_at")
    )
    if connections is None:
        connections = Connection.objects.filter(user=user)
    by_id = {c.pk: c for c in connections}
    for pair in pairs:
        for collection in (pair.source, pair.target):
            if collection is not None:
                collection.connection = by_id[collection.connection_id]
    return _attach_last_runs(pairs)


def runs_for_user(
    *,
    user,
    pair: SyncPair | None = None,
    status: str | None = None,
    platform: str | None = None,
    include_dry_runs: bool = True,
) -> QuerySet[Run]:
    qs = Run.objects.filter(user=user).select_related(
        "pair__source__connection", "pair__target__connection"
    )
    if pair is not None:
        qs = qs.filter(pair=pair)
    if status:
        qs = qs.filter(status=status)
    if platform:
        qs = qs.filter(pair__target_platform=platform)
    if not include_dry_runs:
        qs = qs.filter(dry_run=False)
    return qs.order_by("-created_at", "-pk")


def active_runs_for_user(*, user) -> QuerySet[Run]:
    return runs_for_user(user=user).filter(status__in=Run.ACTIVE)


def active_run_for_pair(*, pair: SyncPair) -> Run | None:
    return Run.objects.filter(pair=pair, status__in=Run.ACTIVE, dry_run=False).first()


def run_changes(
    *, run: Run, action: str | None = None, outcome: str | None = None
) -> QuerySet[RunChange]:
    qs = RunChange.objects.filter(run=run).select_related("item", "counterpart", "collection")
    if action:
        qs = qs.filter(action=action)
    if action == RunChange.Action.UNMATCHED:
        qs = qs.exclude(method=NEVER_MATCH)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("seq")


def run_change_counts(*, run: Run) -> dict[str, int]:
    """How many changes of each action, plus ``failed`` (any action whose write failed).

    ``unmatched`` leaves out the items the person said never to match: those are
    ``never``. Of the writes (add, remove, move), ``done`` landed and ``pending`` are still
    only planned.
    """
    Action, Outcome = RunChange.Action, RunChange.Outcome
    counts = {action: 0 for action in Action.values}
    counts.update(never=0, done=0, pending=0, failed=0)
    rows = (
        RunChange.objects.filter(run=run)
        .values("action", "outcome", "method")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        action, outcome, n = row["action"], row["outcome"], row["n"]
        never = action == Action.UNMATCHED and row["method"] == NEVER_MATCH
        counts["never" if never else action] += n
        if outcome == Outcome.FAILED:
            counts["failed"] += n
        if action in (Action.ADD, Action.REMOVE, Action.MOVE):
            if outcome == Outcome.APPLIED:
                counts["done"] += n
            elif outcome == Outcome.PLANNED:
                counts["pending"] += n
    return counts


def run_last_finished(*, pair: SyncPair) -> Run | None:
    """The pair's last finished run that changed something: the one undo can reverse.

    A later run that added and removed nothing (a scheduled run with nothing to do) left
    the playlists as that run left them, so it does not take the undo away.
    """
    return (
        Run.objects.filter(pair=pair, dry_run=False, status__in=Run.FINISHED)
        .exclude(added=0, removed=0)
        .order_by("-created_at", "-pk")
        .first()
    )


def run_can_undo(*, run: Run) -> bool:
    """Undo is offered for the pair's last finished run when it wrote something.

    The service decides for sure; this only keeps a useless button off the page.
    """
    if run.dry_run or run.status not in Run.FINISHED or run.undo_of_id:
        return False
    if not (run.added or run.removed):
        return False
    last = run_last_finished(pair=run.pair)
    return last is not None and last.pk == run.pk


@dataclass(frozen=True)
class Candidate:
    track: Track
    confidence: float
    reasons: list[str]
    # Another candidate shows the same title, artists, album and length: the page adds
    # the platform's id so the two can be told apart.
    look_alike: bool = False


def _candidates(item: ReviewItem, tracks: dict[int, Track]) -> list[Candidate]:
    found = []
    for raw in item.candidates or []:
        if not isinstance(raw, dict):
            continue
        track = tracks.get(raw.get("track"))
        if track is None:
            continue
        found.append(
            Candidate(
                track=track,
                confidence=float(raw.get("confidence") or 0),
                reasons=[str(r) for r in raw.get("reasons") or []],
            )
        )
    looks = Counter(_looks(c.track) for c in found)
    return [replace(c, look_alike=looks[_looks(c.track)] > 1) for c in found]


def _looks(track: Track) -> tuple:
    """What the review page shows of a candidate."""
    return (track.title, track.artist_line, track.album, (track.duration_ms or 0) // 1000)


def review_items_open(*, user, pair: SyncPair | None = None) -> list[ReviewItem]:
    """Open review items, each with ``candidate_list`` (its stored candidates as Tracks).

    Two queries whatever the number of items: the items, then every candidate track.
    """
    qs = ReviewItem.objects.filter(user=user, status=ReviewItem.Status.OPEN).select_related(
        "source", "pair__source", "pair__target"
    )
    if pair is not None:
        qs = qs.filter(pair=pair)
    items = list(qs.order_by("-best_confidence", "created_at", "pk"))
    ids = {
        raw.get("track")
        for item in items
        for raw in (item.candidates or [])
        if isinstance(raw, dict) and isinstance(raw.get("track"), int)
    }
    tracks = Track.objects.in_bulk(list(ids)) if ids else {}
    for item in items:
        item.candidate_list = _candidates(item, tracks)
    return items


def review_item_candidates(*, item: ReviewItem) -> list[Candidate]:
    ids = [raw.get("track") for raw in item.candidates or [] if isinstance(raw, dict)]
    tracks = Track.objects.in_bulk([i for i in ids if isinstance(i, int)])
    return _candidates(item, tracks)


def review_open_count(*, user, pair: SyncPair | None = None) -> int:
    qs = ReviewItem.objects.filter(user=user, status=ReviewItem.Status.OPEN)
    if pair is not None:
        qs = qs.filter(pair=pair)
    return qs.count()


def review_suggestions_count(*, user, threshold: float | None = None) -> int:
    """Open items whose best candidate is sure enough to accept in bulk (as the service does)."""
    from syncing.services.review import BULK_ACCEPT_THRESHOLD

    if threshold is None:
        threshold = BULK_ACCEPT_THRESHOLD
    return ReviewItem.objects.filter(
        Q(user=user, status=ReviewItem.Status.OPEN) & Q(best_confidence__gte=threshold)
    ).count()
