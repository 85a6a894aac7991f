"""Pages of a person's libraries: playlists, liked songs, one collection, its exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from musicsync.pagecache import cache_page_per_person
from platforms import selectors
from platforms.exports import FORMATS, export_response
from platforms.models import Collection, Connection, Platform
from platforms.services import connection_disconnect, library_import_start


def _platform_param(request: HttpRequest) -> str | None:
    value = request.GET.get("platform", "")
    return value if value in Platform.values else None


def _search_param(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:200]


def _query(**params: str | None) -> str:
    """The page's filters as a query string, for pagination links to carry along."""
    return urlencode({key: value for key, value in params.items() if value})


def _template(request: HttpRequest, page: str, fragment: str) -> str:
    """The whole page, or for an HTMX request only the fragment it swaps in."""
    return f"{page}#{fragment}" if request.htmx and not request.htmx.boosted else page


@login_required
@require_GET
@cache_page_per_person
def playlists(request: HttpRequest) -> HttpResponse:
    platform = _platform_param(request)
    search = _search_param(request)
    page = selectors.collections_page(
        user=request.user,
        kind=Collection.Kind.PLAYLIST,
        platform=platform,
        search=search,
        page=request.GET.get("page", 1),
    )
    context = {
        "page": page,
        "platform": platform,
        "search": search,
        "connections": selectors.connections_for_user(user=request.user),
        "platforms": Platform.choices,
        "query": _query(platform=platform, q=search),
    }
    return render(request, _template(request, "platforms/playlists.html", "results"), context)


@login_required
@require_GET
@cache_page_per_person
def liked(request: HttpRequest) -> HttpResponse:
    connections = selectors.connections_for_user(user=request.user)
    platform = _platform_param(request) or (connections[0].platform if connections else None)
    collection = (
        selectors.liked_collection(user=request.user, platform=platform) if platform else None
    )
    search = _search_param(request)
    items = None
    if collection is not None:
        items = selectors.collection_items_page(
            collection=collection,
            page=request.GET.get("page", 1),
            search=search,
            user=request.user,
        )
    context = {
        "collection": collection,
        "items": items,
        "platform": platform,
        "search": search,
        "connections": connections,
        "platforms": Platform.choices,
        "query": _query(platform=platform, q=search),
    }
    return render(request, _template(request, "platforms/liked.html", "items"), context)


@login_required
@require_GET
@cache_page_per_person
def collection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    collection = selectors.get_collection_for_user(user=request.user, pk=pk)
    search = _search_param(request)
    items = selectors.collection_items_page(
        collection=collection,
        page=request.GET.get("page", 1),
        search=search,
        user=request.user,
    )
    context = {
        "collection": collection,
        "items": items,
        "search": search,
        "query": _query(q=search),
    }
    return render(request, _template(request, "platforms/collection.html", "items"), context)


@login_required
@require_GET
def collection_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("No such export format.")
    collection = selectors.get_collection_for_user(user=request.user, pk=pk)
    return export_response(collection=collection, fmt=fmt)


def _back(request: HttpRequest, fallback: str = "dashboard") -> HttpResponse:
    # Only our own pages: a posted "next" must not send people elsewhere.
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def connection_import(request: HttpRequest, pk: int) -> HttpResponse:
    connection = selectors.get_connection_for_user(user=request.user, pk=pk)
    if connection.state != Connection.State.ACTIVE:
        messages.error(
            request,
            f"Reconnect {connection.get_platform_display()} before importing its library.",
        )
    elif library_import_start(connection=connection):
        messages.success(
            request,
            f"Importing your {connection.get_platform_display()} library. It runs in the "
            "background; this page shows its progress.",
        )
    else:
        messages.info(
            request, f"Your {connection.get_platform_display()} library is already being imported."
        )
    return _back(request)


@login_required
@require_http_methods(["GET", "POST"])
def connection_disconnect_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = selectors.get_connection_for_user(user=request.user, pk=pk)
    if request.method == "GET":
        # Pairs stop syncing until the person connects again: say which, and ask first.
        pair_count = selectors.pairs_using_connection_count(connection=connection)
        return render(
            request,
            "platforms/connection_disconnect.html",
            {"connection": connection, "pair_count": pair_count},
        )
    connection_disconnect(connection=connection)
    messages.success(
        request,
        f"{connection.get_platform_display()} is disconnected and its tokens are deleted. "
        "Your imported library and pairs stay until you connect again.",
    )
    return _back(request)
