"""Creating, changing and removing sync pairs."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from platforms.clients import PLAYLIST_NAME_LIMIT
from platforms.models import Collection, Connection, Platform
from platforms.types import plain_name
from syncing.models import Run, SyncPair

EDITABLE_FIELDS = {
    "target_name",
    "mode",
    "strict",
    "keep_order",
    "keep_duplicates",
    "schedule",
    "enabled",
}


def first_run_time(*, schedule: str, now: datetime | None = None) -> datetime | None:
    """Spread scheduled pairs over their interval so they don't all fire at :00."""
    interval = SyncPair.SCHEDULE_INTERVALS.get(schedule)
    if interval is None:
        return None
    now = now or timezone.now()
    return now + interval * random.random()


def pair_sync_blocker(*, pair: SyncPair) -> str:
    """Why the pair can't sync now (one of its platforms is not connected), or ""."""
    platforms = (pair.source.platform, pair.target_platform)
    states = dict(
        Connection.objects.filter(user_id=pair.user_id, platform__in=platforms).values_list(
            "platform", "state"
        )
    )
    for platform in platforms:
        name = Platform(platform).label
        state = states.get(platform)
        if state is None or state == Connection.State.DISCONNECTED:
            return f"{name} is not connected: connect it on the dashboard, then sync."
        if state == Connection.State.NEEDS_RECONNECT:
            return f"{name} needs to be reconnected: do that on the dashboard, then sync."
    return ""


def _pair_between(pair: SyncPair, source: Collection, target: Collection) -> SyncPair | None:
    """Another pair of the person between the same two collections, either way round."""
    between = SyncPair.objects.filter(user_id=pair.user_id).filter(
        models.Q(source=source, target=target) | models.Q(source=target, target=source)
    )
    if pair.pk is not None:
        between = between.exclude(pk=pair.pk)
    return between.select_related("source", "target").first()


def playlist_name_fit(name: str, platform: str) -> str:
    """A name the app chose for a new playlist (the source's), cut to what the platform
    takes: the person did not type it, so it is shortened rather than refused."""
    limit = PLAYLIST_NAME_LIMIT[platform]
    name = plain_name(name).strip()
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _visible(text: str) -> bool:
    """Whether a name shows anything: not only spaces and invisible format characters."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


def _same_new_playlist(pair: SyncPair) -> SyncPair | None:
    """Another pair of the person from this source into a new playlist of this name."""
    name = pair.target_name.strip()
    twins = SyncPair.objects.filter(
        user_id=pair.user_id, source=pair.source, target_platform=pair.target_platform
    ).filter(
        models.Q(target__isnull=True, target_name__iexact=name)
        | models.Q(target__name__iexact=name)
    )
    if pair.pk is not None:
        twins = twins.exclude(pk=pair.pk)
    return twins.select_related("source", "target").first()


def pair_check(*, pair: SyncPair) -> None:
    """Raises the ValidationError that saving ``pair`` would raise (a preview asks too)."""
    errors: dict[str, list[str]] = {}
    source = pair.source
    if source.connection.user_id != pair.user_id:
        errors.setdefault("source", []).append("Choose one of your own playlists.")
    elif pair.pk is None and not source.items_readable:
        # A pair made before the refusal was known fails at its run instead, which says so.
        errors.setdefault("source", []).append(
            f"{source.unreadable_reason} Choose a playlist you own or collaborate on."
        )
    if source.connection.platform == pair.target_platform:
        errors.setdefault("target_platform", []).append("The target must be on the other platform.")
    if pair.target_id is not None:
        target = pair.target
        if target.connection.user_id != pair.user_id:
            errors.setdefault("target", []).append("Choose one of your own playlists.")
        elif target.connection.platform != pair.target_platform:
            errors.setdefault("target", []).append("The target is not on the target platform.")
        elif not target.editable:
            errors.setdefault("target", []).append(
                "That playlist belongs to someone else and cannot be changed."
            )
        elif other := _pair_between(pair, source, target):
            # Two pairs between the same two collections undo each other's work: an
            # add-only pair puts back what the two-way one was removing on both sides.
            errors.setdefault("target", []).append(
                f"These two are already paired ({other}): change that pair instead."
            )
    elif not (pair.target_name or "").strip():
        errors.setdefault("target_name", []).append("Name the new playlist.")
    elif not _visible(pair.target_name):
        errors.setdefault("target_name", []).append(
            "This name shows nothing (only invisible characters): name the new playlist."
        )
    elif twin := _same_new_playlist(pair):
        # Each such pair's first run makes its own playlist: two of one name, one source.
        errors.setdefault("target_name", []).append(
            f"{twin} already copies this playlist into one named “{pair.target_name.strip()}”."
            " Give this one another name to make a second copy."
        )
    elif len(pair.target_name.strip()) > (limit := PLAYLIST_NAME_LIMIT[pair.target_platform]):
        platform = Platform(pair.target_platform).label
        errors.setdefault("target_name", []).append(
            f"A {platform} playlist name can be at most {limit} characters; "
            f"this one has {len(pair.target_name.strip())}."
        )
    if pair.mode not in SyncPair.Mode.values:
        errors.setdefault("mode", []).append("Choose add only, mirror or two way.")
    if pair.schedule not in SyncPair.Schedule.values:
        errors.setdefault("schedule", []).append("Choose a schedule.")
    if pair.mode == SyncPair.Mode.TWO_WAY and not source.editable:
        errors.setdefault("mode", []).append(
            "Two way needs a source you can change; this playlist is someone else's."
        )
    if pair.strict and pair.mode != SyncPair.Mode.MIRROR:
        errors.setdefault("strict", []).append("Strict applies to mirror pairs only.")
    if pair.keep_duplicates and pair.mode == SyncPair.Mode.TWO_WAY:
        errors.setdefault("keep_duplicates", []).append(
            "Keep duplicates applies to add-only and mirror pairs only: "
            "two way keeps one copy of each song on both sides."
        )
    if pair.target_id is None and source.kind == Collection.Kind.LIKED and not pair.target_name:
        errors.setdefault("target_name", []).append("Name the new playlist.")
    if errors:
        raise ValidationError(errors)


def pair_create(
    *,
    user,
    source: Collection,
    target: Collection | None,
    target_platform: str,
    target_name: str = "",
    mode: str = SyncPair.Mode.ADD_ONLY,
    strict: bool = False,
    keep_order: bool = False,
    keep_duplicates: bool = False,
    schedule: str = SyncPair.Schedule.MANUAL,
    enabled: bool = True,
) -> SyncPair:
    pair = SyncPair(
        user=user,
        source=source,
        target=target,
        target_platform=target_platform,
        target_name=plain_name(target_name).strip()[:255]
        or (playlist_name_fit(source.name, target_platform) if target is None else ""),
        mode=mode,
        strict=strict,
        keep_order=keep_order,
        keep_duplicates=keep_duplicates,
        schedule=schedule,
        enabled=enabled,
    )
    pair_check(pair=pair)
    pair.next_run_at = first_run_time(schedule=schedule)
    pair.save()
    return pair


def pair_update(*, pair: SyncPair, **fields) -> SyncPair:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    old_schedule = pair.schedule
    if isinstance(fields.get("target_name"), str):
        fields["target_name"] = plain_name(fields["target_name"])
    for name, value in fields.items():
        setattr(pair, name, value)
    # A setting left on from another mode (or stored before it was refused) means
    # nothing in this one, and must not make a change that did not ask for it fail.
    if pair.mode == SyncPair.Mode.TWO_WAY and "keep_duplicates" not in fields:
        pair.keep_duplicates = False
    if pair.mode != SyncPair.Mode.MIRROR and "strict" not in fields:
        pair.strict = False
    pair_check(pair=pair)
    if pair.schedule != old_schedule:
        pair.next_run_at = first_run_time(schedule=pair.schedule)
    pair.save()
    return pair


def pair_delete(*, pair: SyncPair) -> None:
    with transaction.atomic():
        Run.objects.filter(pair=pair, status__in=Run.ACTIVE).update(
            status=Run.Status.CANCELLED, finished_at=timezone.now(), error="The pair was deleted."
        )
        pair.delete()


def pairs_create_for_all(
    *, user, kind: str, source_platform: str, mode: str, schedule: str
) -> tuple[list[SyncPair], list[tuple[Collection, str]]]:
    """One pair per liked-songs collection or per playlist that is in no pair yet.

    A playlist that some pair already writes to is not made a source (that would copy a
    copy back). A playlist of the same name on the other platform that is in no pair
    becomes the target ("Road trip" meets "Road trip"); otherwise the run creates one,
    named after the source (cut to what the other platform takes). Returns the pairs
    made and the playlists that could not be paired, each with the reason.
    """
    source_conn = Connection.objects.filter(user=user, platform=source_platform).first()
    if source_conn is None:
        raise ValidationError({"source_platform": ["Connect that platform first."]})
    target_platform = "youtube" if source_platform == "spotify" else "spotify"
    wanted = Collection.Kind.LIKED if kind == "liked" else Collection.Kind.PLAYLIST
    in_pairs: set[int] = set()
    for source_id, target_id in SyncPair.objects.filter(user=user).values_list(
        "source_id", "target_id"
    ):
        in_pairs.update(i for i in (source_id, target_id) if i is not None)
    free_by_name = {
        c.name.strip().casefold(): c
        for c in Collection.objects.filter(
            connection__user=user,
            connection__platform=target_platform,
            kind=Collection.Kind.PLAYLIST,
            editable=True,
            removed=False,
        ).exclude(pk__in=in_pairs)
    }
    created, refused = [], []
    for source in source_conn.collections.filter(kind=wanted, removed=False).order_by("name"):
        if source.pk in in_pairs:
            continue
        target = free_by_name.pop(source.name.strip().casefold(), None) if kind != "liked" else None
        name = playlist_name_fit(
            source.name
            if kind != "liked"
            else f"{source.name} (from {source_conn.get_platform_display()})",
            target_platform,
        )
        try:
            created.append(
                pair_create(
                    user=user,
                    source=source,
                    target=target,
                    target_platform=target_platform,
                    target_name="" if target else name,
                    mode=mode,
                    schedule=schedule,
                )
            )
        except ValidationError as error:
            refused.append((source, " ".join(error.messages)))
    return created, refused
