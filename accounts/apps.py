from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    # allauth's own app is "Accounts" in the admin too; two sections of one name confuse.
    verbose_name = "People and sign-in"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import (
            checks,  # noqa: F401  (registers the system checks)
            devices,  # noqa: F401  (notes log-ins for known devices)
        )

        post_migrate.connect(name_the_site, sender=self)


def name_the_site(**kwargs) -> None:
    """The emails allauth sends greet from the Site: ours, not Django's "example.com"."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    Site.objects.using(kwargs.get("using", "default")).update_or_create(
        pk=settings.SITE_ID,
        defaults={"name": "Music Sync Hub", "domain": urlsplit(settings.SITE_URL).netloc},
    )


class MusicSyncAdminConfig(admin_apps.AdminConfig):
    """Django admin, with the two-factor admin site as `admin.site`."""

    default = False  # only when INSTALLED_APPS names it
    default_site = "accounts.otp.TwoFactorAdminSite"
