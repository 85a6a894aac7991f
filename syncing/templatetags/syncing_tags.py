"""Small pieces of markup that every list of pairs and runs repeats, row after row.

Tags rather than included templates: a dashboard of 50 pairs renders each of them 50
times, and an include costs far more than the few lines of Python they need.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from syncing.models import Run, SyncPair

register = template.Library()


@register.simple_tag
def row_url(viewname: str, *args: object) -> str:
    """``{% url %}`` for rows of long lists: the same answer, remembered.

    reverse() costs about as much as the rest of a dashboard row put together, and
    a URL never changes while the process runs (the script prefix is in the key).
    """
    return _reverse(get_script_prefix(), viewname, args)


@lru_cache(maxsize=8192)
def _reverse(prefix: str, viewname: str, args: tuple[object, ...]) -> str:
    return reverse(viewname, args=args)


# Status -> the tag's colour class (none for cancelled).
_STATUS_CLASS = {
    Run.Status.SUCCEEDED: "tag-ok",
    Run.Status.PARTIAL: "tag-warn",
    Run.Status.FAILED: "tag-bad",
    Run.Status.CANCELLED: "",
    Run.Status.WAITING: "tag-warn",
    Run.Status.RUNNING: "tag-run",
    Run.Status.QUEUED: "tag-run",
}
# Triggers worth a tag of their own beside the status.
_TAGGED_TRIGGERS = (Run.Trigger.UNDO, Run.Trigger.RETRY)


def _tag(label: str, colour: str = "") -> SafeString:
    return format_html('<span class="{}">{}</span>', f"tag {colour}" if colour else "tag", label)


@register.simple_tag
def run_status(run: Run) -> SafeString:
    """The run's status as a coloured tag (the words say it too), then dry run / undo / retry."""
    status = run.status if run.status in _STATUS_CLASS else Run.Status.QUEUED
    parts = [_tag(Run.Status(status).label, _STATUS_CLASS[status])]
    if run.dry_run:
        parts.append(_tag("Dry run"))
    if run.trigger in _TAGGED_TRIGGERS:
        parts.append(_tag(run.get_trigger_display()))
    return mark_safe(" ".join(parts))  # noqa: S308 - every part is escaped by format_html


# What a waiting run waits for, after the status tag's "Waiting".
_WAITS_FOR = {
    Run.WaitReason.QUOTA: "for YouTube quota",
    Run.WaitReason.RATE_LIMIT: "out a rate limit",
    Run.WaitReason.RECONNECT: "for you to reconnect",
    Run.WaitReason.RETRY: "to try again after an error",
}


@register.simple_tag
def run_wait(run: Run) -> SafeString | str:
    """For a waiting run: what it waits for and when it goes on by itself."""
    if run.status != Run.Status.WAITING:
        return ""
    if run.wait_reason == Run.WaitReason.RECONNECT:
        when = "it goes on once you reconnect"
    elif run.resume_overdue:
        when = "resumes within a minute"
    elif run.resume_at:
        at = dateformat.format(timezone.localtime(run.resume_at), "H:i T")
        when = f"resumes {naturaltime(run.resume_at)} ({at})"
    else:
        when = ""
    what = _WAITS_FOR.get(run.wait_reason, "")
    return format_html(
        '<span class="small muted wait-note">{}</span>', "; ".join(p for p in (what, when) if p)
    )


@register.simple_tag
def run_counts(run: Run) -> SafeString:
    """+added −removed, then moved, unmatched, unavailable and failed where there are any."""
    parts = [
        format_html('<span title="added">+{}</span>', run.added),
        format_html('<span title="removed">\u2212{}</span>', run.removed),
    ]
    if run.moved:
        parts.append(format_html("<span>{} moved</span>", run.moved))
    if run.unmatched:
        parts.append(format_html("<span>{} unmatched</span>", run.unmatched))
    if run.unavailable:
        parts.append(format_html("<span>{} unavailable</span>", run.unavailable))
    if run.failed:
        parts.append(format_html('<span class="text-bad">{} failed</span>', run.failed))
    return format_html('<span class="counts">{}</span>', mark_safe(" ".join(parts)))  # noqa: S308


@register.simple_tag
def pair_name(pair: SyncPair) -> SafeString:
    """ "Spotify Road trip → YouTube Road trip", with "(new)" for a target not made yet."""
    source = pair.source
    # Names in <bdi>: a right-to-left name must not reorder the arrow and platforms.
    if pair.target_id:
        target = format_html("<bdi>{}</bdi>", pair.target.name)
    else:
        target = format_html(
            '<bdi>{}</bdi> <span class="small muted">(new)</span>', pair.target_name
        )
    two_way = pair.mode == SyncPair.Mode.TWO_WAY
    return format_html(
        '<span class="pair-name"><span class="plat plat-{}">{}</span> <bdi>{}</bdi> '
        '<span aria-label="{}">{}</span> <span class="plat plat-{}">{}</span> {}</span>',
        source.connection.platform,
        source.connection.get_platform_display(),
        source.name,
        "and" if two_way else "to",
        "\u21c4" if two_way else "\u2192",
        pair.target_platform,
        pair.get_target_platform_display(),
        target,
    )
