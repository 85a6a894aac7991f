from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    # allauth's own app is "Accounts" in the admin too; two sections of one name confuse.
    verbose_name = "People and sign-in"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (registers the system checks)


class MusicSyncAdminConfig(admin_apps.AdminConfig):
    """Django admin, with the two-factor admin site as `admin.site`."""

    default = False  # only when INSTALLED_APPS names it
    default_site = "accounts.otp.TwoFactorAdminSite"
