"""The settings pages, mounted at /settings/."""

from __future__ import annotations

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.settings_home, name="settings"),
    path("two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path(
        "two-factor/recovery-codes/",
        views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/turn-off/", views.two_factor_disable, name="two_factor_disable"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("delete/", views.account_delete, name="account_delete"),
]
