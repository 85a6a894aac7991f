from django.contrib import admin
from django.urls import include, path

from musicsync.health import health
from musicsync.views import home

urlpatterns = [
    path("", home, name="dashboard"),
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("django_prometheus.urls")),
]
