"""The dashboard: where a person sees at a glance what is connected and in step."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from musicsync.pagecache import cache_page_per_person
from platforms.models import Platform
from platforms.quota import quota_left_today
from platforms.selectors import connections_for_user
from syncing.selectors import pairs_for_user, review_open_count


@login_required
@require_GET
@cache_page_per_person
def home(request: HttpRequest) -> HttpResponse:
    connections = connections_for_user(user=request.user)
    by_platform = {c.platform: c for c in connections}
    pairs = pairs_for_user(user=request.user, connections=connections)
    context = {
        "connections": connections,
        "platform_cards": [
            {
                "platform": value,
                "label": label,
                "connection": by_platform.get(value),
                "provider": "google" if value == Platform.YOUTUBE else value,
            }
            for value, label in Platform.choices
        ],
        "pairs": pairs,
        "poll_every": _poll_every(pairs, connections),
        "quota_left": quota_left_today(),
        "review_count": review_open_count(user=request.user),
    }
    template = "dashboard.html"
    if request.htmx and request.htmx.target == "live":
        template += "#live"
    return render(request, template, context)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, the API's)."""
    return redirect(static("img/favicon.svg"))


def _poll_every(pairs, connections) -> str:
    """The dashboard refreshes while something moves; slowly while runs only wait."""
    runs = [p.last_run for p in pairs if p.last_run and p.last_run.is_active]
    if any(c.import_status in ("queued", "running") for c in connections) or any(
        r.status != r.Status.WAITING for r in runs
    ):
        return "3s"
    return "30s" if runs else ""
