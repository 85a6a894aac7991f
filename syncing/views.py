"""Pages of sync pairs, runs and the review queue. Thin: selectors read, services write."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.ratelimits import limited
from musicsync.pagecache import cache_page_per_person
from platforms.models import Platform
from platforms.selectors import connections_for_user
from syncing import selectors
from syncing.forms import MODE_HELP, CreateForAllForm, PairForm, PairSettingsForm, ReviewUrlForm
from syncing.models import ReviewItem, Run, RunChange, SyncPair
from syncing.services import pairs as pair_services
from syncing.services import review as review_services
from syncing.services import runs as run_services

CHANGES_PER_PAGE = 100
RUNS_PER_PAGE = 50

# Every button that starts work on the platforms shares one per-person limit.
sync_trigger_limit = limited(group="sync-trigger", key="user", rate="sync-trigger", method="POST")


def _template(request: HttpRequest, page: str, fragment: str) -> str:
    """The whole page, or for an HTMX request only the fragment it swaps in."""
    return f"{page}#{fragment}" if request.htmx and not request.htmx.boosted else page


def _query(**params: str) -> str:
    """The page's filters as a query string, for pagination links to carry along."""
    return urlencode({key: value for key, value in params.items() if value})


def _errors_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _apply_errors(form, error: ValidationError) -> None:
    """Put a service's field errors on the form; fields it does not show go on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- Pairs ---------------------------------------------------------------------------


@login_required
@require_GET
@cache_page_per_person
def pair_list(request: HttpRequest) -> HttpResponse:
    context = {
        "pairs": selectors.pairs_for_user(user=request.user),
        "connections": connections_for_user(user=request.user),
        "all_form": CreateForAllForm(),
    }
    return render(request, "syncing/pair_list.html", context)


def _preview_context(pair: SyncPair) -> dict:
    preview = run_services.plan_preview(pair=pair)
    kinds = [
        ("add", "To add"),
        ("remove", "To remove"),
        ("move", "To move into the source's order"),
        ("unmatched", "No match yet"),
        ("unavailable", "Unavailable"),
        ("needs_search", "Still to search"),
        ("keep", "Already in step"),
    ]
    sections = [
        {
            "key": key,
            "label": label,
            "count": preview.counts.get(key, 0),
            "samples": preview.samples.get(key, []),
        }
        for key, label in kinds
        if key != "move" or preview.counts.get(key)  # only a mirror that keeps order moves
    ]
    return {"preview": preview, "preview_sections": sections}


def _render_pair_form(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    context.setdefault("mode_help", MODE_HELP)
    template = "syncing/pair_form.html"
    if request.htmx and request.POST.get("action") == "preview":
        # htmx does not swap error responses; the fragment lists the errors itself.
        return render(request, template + "#preview", context)
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pair_new(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("source"):
        initial["source"] = request.GET["source"]
    form = PairForm(request.POST or None, user=request.user, initial=initial)
    context: dict = {"form": form, "pair": None}
    if not form.fields["source"].choices[1:]:
        context["no_library"] = True
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "save")
        values = form.pair_values()
        if action == "preview":
            unsaved = SyncPair(user=request.user, **values)
            try:  # what Save would refuse, the preview lists instead of a plan
                pair_services.pair_check(pair=unsaved)
            except ValidationError as error:
                _apply_errors(form, error)
                return _render_pair_form(request, context)
            context.update(_preview_context(unsaved))
            return _render_pair_form(request, context)
        try:
            pair = pair_services.pair_create(user=request.user, **values)
        except ValidationError as error:
            _apply_errors(form, error)
            return _render_pair_form(request, context, status=400)
        messages.success(request, f"Sync pair created: {pair}.")
        if action == "save_run":
            return _start_run(request, pair)
        return redirect("syncing:pair", pk=pair.pk)
    status = 400 if request.method == "POST" else 200
    return _render_pair_form(request, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pair_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.get_pair_for_user(user=request.user, pk=pk)
    initial = {name: getattr(pair, name) for name in (*PairSettingsForm.SETTINGS, "enabled")}
    # What the pair does: a two-way pair keeps one copy whatever an old setting says.
    initial["keep_duplicates"] = pair.keep_duplicates and pair.mode != SyncPair.Mode.TWO_WAY
    form = PairSettingsForm(request.POST or None, initial=initial)
    if pair.target_id:
        del form.fields["target_name"]
    context: dict = {"form": form, "pair": pair}
    if request.method == "POST" and form.is_valid():
        values = form.settings_values()
        if request.POST.get("action") == "preview":
            if not pair.source.items_readable:  # nothing to plan from: say why, not all zeros
                form.add_error(None, pair.source.unreadable_reason)
                return _render_pair_form(request, context)
            unsaved = SyncPair(
                user=request.user,
                source=pair.source,
                target=pair.target,
                target_platform=pair.target_platform,
                **values,
            )
            unsaved.pk = pair.pk  # the preview reads this pair's history (what it synced)
            context.update(_preview_context(unsaved))
            return _render_pair_form(request, context)
        try:
            pair_services.pair_update(pair=pair, **values)
        except ValidationError as error:
            _apply_errors(form, error)
            return _render_pair_form(request, context, status=400)
        messages.success(request, "The pair's settings are saved.")
        return redirect("syncing:pair", pk=pair.pk)
    status = 400 if request.method == "POST" else 200
    return _render_pair_form(request, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def schedules(request: HttpRequest) -> HttpResponse:
    """Every pair's schedule on one page, changed together."""
    pairs = list(
        SyncPair.objects.filter(user=request.user)
        .select_related("source", "target")
        .order_by("source__name", "pk")
    )
    errors: dict[int, str] = {}
    if request.method == "POST":
        wanted = {p: request.POST.get(f"schedule-{p.pk}", p.schedule) for p in pairs}
        changes = {p: w for p, w in wanted.items() if w != p.schedule}
        for pair, schedule in changes.items():
            if schedule not in SyncPair.Schedule.values:
                errors[pair.pk] = "Choose one of the schedules listed."
        if not errors:
            # All or nothing: a schedule refused leaves the others as they were too.
            with transaction.atomic():
                for pair, schedule in changes.items():
                    try:
                        pair_services.pair_update(pair=pair, schedule=schedule)
                    except ValidationError as error:
                        errors[pair.pk] = " ".join(error.messages)
                if errors:
                    transaction.set_rollback(True)
        if not errors:
            if n := len(changes):
                messages.success(request, f"{n} schedule{'s' if n != 1 else ''} changed.")
            return redirect("syncing:schedules")
        for pair in pairs:  # the page shows what was chosen, with the reasons
            pair.schedule = wanted[pair]
    context = {
        "rows": [(pair, errors.get(pair.pk, "")) for pair in pairs],
        "choices": SyncPair.Schedule.choices,
    }
    return render(request, "syncing/schedules.html", context, status=400 if errors else 200)


@login_required
@require_GET
@cache_page_per_person
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.get_pair_for_user(user=request.user, pk=pk)
    runs = Paginator(selectors.runs_for_user(user=request.user, pair=pair), RUNS_PER_PAGE)
    context = {
        "pair": pair,
        "runs": runs.get_page(request.GET.get("page", 1)),
        "review_count": ReviewItem.objects.filter(pair=pair, status=ReviewItem.Status.OPEN).count(),
        "mode_help": MODE_HELP.get(pair.mode, ""),
        "waiting": pair.runs.filter(status=Run.Status.WAITING).order_by("-created_at").first(),
        "blocker": pair_services.pair_sync_blocker(pair=pair),
    }
    return render(request, "syncing/pair_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pair_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.get_pair_for_user(user=request.user, pk=pk)
    if request.method == "GET":
        # Deleting takes the run history with it: ask first, on a page of its own.
        return render(
            request, "syncing/pair_delete.html", {"pair": pair, "run_count": pair.runs.count()}
        )
    name = str(pair)
    pair_services.pair_delete(pair=pair)
    messages.success(request, f"Deleted the pair {name}. Nothing was removed from your playlists.")
    return redirect("syncing:pairs")


@login_required
@require_POST
def pairs_create_all(request: HttpRequest) -> HttpResponse:
    form = CreateForAllForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to sync, from where, and how.")
        return redirect("syncing:pairs")
    try:
        created, refused = pair_services.pairs_create_for_all(
            user=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, _errors_text(error))
        return redirect("syncing:pairs")
    if created:
        messages.success(request, f"Created {len(created)} sync {_plural(len(created), 'pair')}.")
    for collection, why in refused:
        messages.error(request, f"No pair for “{collection.name}”: {why}")
    if not created and not refused:
        messages.info(request, "Every one of those already has a pair; nothing new to create.")
    return redirect("syncing:pairs")


# --- Starting runs -------------------------------------------------------------------


def _start_run(request: HttpRequest, pair: SyncPair, *, dry_run: bool = False) -> HttpResponse:
    active = None if dry_run else selectors.active_run_for_pair(pair=pair)
    run = run_services.run_start(pair=pair, trigger=Run.Trigger.MANUAL, dry_run=dry_run)
    if active is not None and active.pk == run.pk:
        messages.info(request, "This pair is already syncing; here is the run in progress.")
    elif dry_run:
        messages.success(request, "Dry run started: it plans the changes and writes nothing.")
    else:
        messages.success(request, f"Sync started for {pair}.")
    return redirect("syncing:run", pk=run.pk)


@login_required
@require_POST
@sync_trigger_limit
def pair_run(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.get_pair_for_user(user=request.user, pk=pk)
    if not pair.enabled:
        messages.error(request, "This pair is turned off. Turn it on in its settings first.")
        return redirect("syncing:pair", pk=pair.pk)
    try:
        return _start_run(request, pair, dry_run=request.POST.get("dry_run") == "1")
    except ValidationError as error:
        messages.error(request, _errors_text(error))
        return redirect("syncing:pair", pk=pair.pk)


@login_required
@require_POST
@sync_trigger_limit
def runs_start_all(request: HttpRequest) -> HttpResponse:
    runs, refused = run_services.runs_start_all(user=request.user, trigger=Run.Trigger.MANUAL)
    if runs:
        messages.success(request, f"Started {len(runs)} sync {_plural(len(runs), 'run')}.")
    for pair, why in refused:
        messages.error(request, f"Not started: {pair}. {why}")
    if not runs and not refused:
        messages.info(request, "No enabled pairs to sync.")
    return redirect("dashboard")


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


# --- Runs ----------------------------------------------------------------------------


@login_required
@require_GET
@cache_page_per_person
def run_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Run.Status.values else ""
    platform = request.GET.get("platform", "")
    platform = platform if platform in Platform.values else ""
    runs = selectors.runs_for_user(
        user=request.user, status=status or None, platform=platform or None
    )
    context = {
        "runs": Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page", 1)),
        "status": status,
        "platform": platform,
        "query": _query(status=status, platform=platform),
        "statuses": Run.Status.choices,
        "platforms": Platform.choices,
    }
    return render(request, _template(request, "syncing/run_list.html", "results"), context)


CHANGE_FILTERS = [
    ("", "", "All"),
    # Every planned addition or removal, whether it landed, failed or is still to come.
    ("add", "", "Additions"),
    ("remove", "", "Removals"),
    ("move", "", "Moves"),
    ("unmatched", "", "Unmatched"),
    ("unavailable", "", "Unavailable"),
    ("", "failed", "Failed"),
]


@login_required
@require_GET
@cache_page_per_person
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_run_for_user(user=request.user, pk=pk)
    context: dict = {"run": run}
    action = request.GET.get("action", "")
    action = action if action in RunChange.Action.values else ""
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in RunChange.Outcome.values else ""
    changes = selectors.run_changes(run=run, action=action or None, outcome=outcome or None)
    counts = selectors.run_change_counts(run=run)
    held = run_services.run_held_removals(run=run) if run.status in Run.FINISHED else 0
    context.update(
        {
            "changes": Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page", 1)),
            "counts": counts,
            "filters": [
                {
                    "action": a,
                    "outcome": o,
                    "label": label,
                    "count": counts.get(a or o)
                    if (a or o)
                    else sum(counts[k] for k in (*RunChange.Action.values, "never")),
                    "active": a == action and o == outcome,
                }
                for a, o, label in CHANGE_FILTERS
                if a != RunChange.Action.MOVE or counts["move"]  # only pairs that keep order
            ],
            "action": action,
            "outcome": outcome,
            "query": _query(action=action, outcome=outcome),
            "can_undo": selectors.run_can_undo(run=run),
            "can_retry": run.status in Run.FINISHED and counts["failed"] > 0 and not run.dry_run,
            "held": held,
            "held_later": run_services.run_latest_after(run=run) if held else None,
            "keep_log_days": settings.RUN_KEEP_LOG_DAYS,
            "review_open": selectors.review_open_count(user=request.user, pair=run.pair),
            # A waiting run's plan is polled with the page: its filters swap the whole body
            # so that the next poll keeps them.
            "changes_target": "run-body" if run.is_active else "changes",
        }
    )
    if request.htmx and request.htmx.target == "run-body":
        # The poll. Once the run has ended the fragment comes back without its
        # trigger (and with the change log), so polling stops by itself.
        return render(request, "syncing/run_detail.html#body", context)
    if request.htmx and request.htmx.target == "changes":
        return render(request, "syncing/run_detail.html#changes", context)
    return render(request, "syncing/run_detail.html", context)


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_run_for_user(user=request.user, pk=pk)
    if run_services.run_cancel(run=run):
        messages.success(
            request, "Run cancelled. Changes already made stay; undo can reverse them."
        )
    else:
        messages.info(request, "This run had already ended.")
    return redirect("syncing:run", pk=run.pk)


def _run_from(request: HttpRequest, pk: int, start, done: str) -> HttpResponse:
    """A new run made from one of the person's runs (undo, retry, confirm): its page, or
    the old run's page with why it could not start."""
    run = selectors.get_run_for_user(user=request.user, pk=pk)
    try:
        new = start(run=run)
    except ValidationError as error:
        messages.error(request, _errors_text(error))
        return redirect("syncing:run", pk=run.pk)
    messages.success(request, done)
    return redirect("syncing:run", pk=new.pk)


@login_required
@require_POST
@sync_trigger_limit
def run_undo(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_from(
        request, pk, run_services.run_undo, "Undo started: it reverses what this run changed."
    )


@login_required
@require_POST
@sync_trigger_limit
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_from(request, pk, run_services.run_retry_failed, "Retrying the failed items.")


@login_required
@require_POST
@sync_trigger_limit
def run_confirm_removals(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_from(
        request, pk, run_services.run_confirm_removals,
        "Syncing again, with the removals you confirmed.",
    )  # fmt: skip


# --- Review queue --------------------------------------------------------------------


@login_required
@require_GET
@cache_page_per_person
def review_queue(request: HttpRequest) -> HttpResponse:
    items = selectors.review_items_open(user=request.user)
    page = Paginator(items, 50).get_page(request.GET.get("page", 1))
    context = {
        "items": page,
        "url_form": ReviewUrlForm(),
        "suggestions": selectors.review_suggestions_count(user=request.user),
    }
    return render(request, "syncing/review.html", context)


def _review_done(request: HttpRequest, item: ReviewItem, text: str) -> HttpResponse:
    """After a decision: the resolved card for HTMX, else back to the queue with a message."""
    if request.htmx:
        return render(request, "syncing/review.html#resolved", {"item": item, "text": text})
    messages.success(request, text)
    return redirect(f"{reverse('syncing:review')}#review-{item.pk}")


def _review_failed(request: HttpRequest, item: ReviewItem, text: str) -> HttpResponse:
    if request.htmx:
        item.candidate_list = selectors.review_item_candidates(item=item)
        return render(
            request,
            "syncing/review.html#item",
            {"item": item, "url_form": ReviewUrlForm(request.POST), "error": text},
            status=400,
        )
    messages.error(request, text)
    return redirect(f"{reverse('syncing:review')}#review-{item.pk}")


@login_required
@require_POST
def review_pick(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_review_item_for_user(user=request.user, pk=pk)
    try:
        track_id = int(request.POST.get("track_id", ""))
    except ValueError:
        return _review_failed(request, item, "Choose one of the candidates.")
    try:
        review_services.review_pick(item=item, track_id=track_id)
    except ValidationError as error:
        return _review_failed(request, item, _errors_text(error))
    return _review_done(
        request, item, f"Matched “{item.source.title}”. The next sync uses your choice."
    )


@login_required
@require_POST
def review_pick_url(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_review_item_for_user(user=request.user, pk=pk)
    form = ReviewUrlForm(request.POST)
    if not form.is_valid():
        return _review_failed(request, item, "Paste a Spotify or YouTube link.")
    try:
        review_services.review_pick_url(item=item, url=form.cleaned_data["url"])
    except ValidationError as error:
        return _review_failed(request, item, _errors_text(error))
    return _review_done(
        request, item, f"Matched “{item.source.title}” to your link. The next sync uses it."
    )


@login_required
@require_POST
def review_never(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_review_item_for_user(user=request.user, pk=pk)
    review_services.review_never(item=item)
    return _review_done(
        request, item, f"“{item.source.title}” will never be matched; syncs skip it from now on."
    )


@login_required
@require_POST
def review_accept(request: HttpRequest) -> HttpResponse:
    accepted = review_services.review_accept_suggestions(user=request.user)
    if accepted:
        word = _plural(accepted, "suggestion")
        messages.success(request, f"Accepted {accepted} {word}. The next sync uses them.")
    else:
        messages.info(request, "No suggestions were sure enough to accept in bulk.")
    return redirect("syncing:review")
