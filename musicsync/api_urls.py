"""The REST API under /api/, its OpenAPI schema and Swagger UI (served from our static)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import MeView
from platforms.api import ConnectionViewSet, LikedViewSet, PlaylistViewSet, QuotaView
from syncing.api import PairViewSet, ReviewViewSet, RunViewSet

router = DefaultRouter()
router.register("connections", ConnectionViewSet, basename="api-connection")
router.register("playlists", PlaylistViewSet, basename="api-playlist")
router.register("liked", LikedViewSet, basename="api-liked")
router.register("pairs", PairViewSet, basename="api-pair")
router.register("runs", RunViewSet, basename="api-run")
router.register("review", ReviewViewSet, basename="api-review")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("quota/", QuotaView.as_view(), name="api-quota"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
]
