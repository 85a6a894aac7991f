"""The library pages, mounted at /library/."""

from __future__ import annotations

from django.urls import path

from platforms import views

app_name = "platforms"

urlpatterns = [
    path("playlists/", views.playlists, name="playlists"),
    path("liked/", views.liked, name="liked"),
    path("collections/<int:pk>/", views.collection_detail, name="collection"),
    path(
        "collections/<int:pk>/export.<str:fmt>", views.collection_export, name="collection_export"
    ),
    path("connections/<int:pk>/import/", views.connection_import, name="connection_import"),
    path(
        "connections/<int:pk>/disconnect/",
        views.connection_disconnect_view,
        name="connection_disconnect",
    ),
]
