from django.contrib import admin
from django.urls import include, path

from musicsync.health import health, live
from musicsync.metrics import metrics_view
from musicsync.views import favicon, home

urlpatterns = [
    path("", home, name="dashboard"),
    path("health", health, name="health"),
    path("health/live", live, name="health_live"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    # allauth's pages, with rate limits and the two-factor step in front.
    path("accounts/", include("accounts.auth_urls")),
    path("settings/", include("accounts.urls")),
    path("library/", include("platforms.urls")),
    path("sync/", include("syncing.urls")),
    path("api/", include("musicsync.api_urls")),
    # Not public: allowed networks or a bearer token (METRICS_ALLOWED_IPS, METRICS_TOKEN).
    path("metrics", metrics_view, name="metrics"),
]

# allauth answers its own rate limits through this (django-ratelimit's go through
# RATELIMIT_VIEW): both give the 429 page or JSON with Retry-After.
handler429 = "accounts.ratelimits.handler429"
