from django.contrib import admin
from django.urls import include, path

from musicsync.health import health
from musicsync.views import home

urlpatterns = [
    path("", home, name="dashboard"),
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    # allauth's pages, with rate limits and the two-factor step in front.
    path("accounts/", include("accounts.auth_urls")),
    path("settings/", include("accounts.urls")),
    path("", include("django_prometheus.urls")),
]

# allauth answers its own rate limits through this (django-ratelimit's go through
# RATELIMIT_VIEW): both give the 429 page or JSON with Retry-After.
handler429 = "accounts.ratelimits.handler429"
