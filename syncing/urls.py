"""The sync pages, mounted at /sync/."""

from __future__ import annotations

from django.urls import path

from syncing import views

app_name = "syncing"

urlpatterns = [
    path("pairs/", views.pair_list, name="pairs"),
    path("pairs/new/", views.pair_new, name="pair_new"),
    path("pairs/for-all/", views.pairs_create_all, name="pairs_create_all"),
    path("pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("schedules/", views.schedules, name="schedules"),
    path("pairs/<int:pk>/edit/", views.pair_edit, name="pair_edit"),
    path("pairs/<int:pk>/delete/", views.pair_delete, name="pair_delete"),
    path("pairs/<int:pk>/run/", views.pair_run, name="pair_run"),
    path("run-all/", views.runs_start_all, name="runs_start_all"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/undo/", views.run_undo, name="run_undo"),
    path("runs/<int:pk>/retry/", views.run_retry, name="run_retry"),
    path(
        "runs/<int:pk>/confirm-removals/",
        views.run_confirm_removals,
        name="run_confirm_removals",
    ),
    path("review/", views.review_queue, name="review"),
    path("review/accept/", views.review_accept, name="review_accept"),
    path("review/<int:pk>/pick/", views.review_pick, name="review_pick"),
    path("review/<int:pk>/url/", views.review_pick_url, name="review_pick_url"),
    path("review/<int:pk>/never/", views.review_never, name="review_never"),
]
