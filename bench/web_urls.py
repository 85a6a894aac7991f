"""The app's URLs and /bench/bare: a view that does nothing, through the same middleware."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from musicsync.urls import handler429  # noqa: F401
from musicsync.urls import urlpatterns as app_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *app_urlpatterns]
