"""Creates the demo account that `make run` prints, so a first visit can log straight in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "musicsync-demo"


class Command(BaseCommand):
    help = "Create (or keep) the demo account and print how to log in. DEBUG/sandbox only."

    def handle(self, *args, **options):
        if not (settings.DEBUG or settings.MUSICSYNC_SANDBOX):
            raise CommandError(
                "seed_demo makes a known password: only with DEBUG or the sandbox on"
            )
        from allauth.account.models import EmailAddress

        User = get_user_model()
        user, created = User.objects.get_or_create(email=DEMO_EMAIL)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        site = settings.SITE_URL
        self.stdout.write(
            self.style.SUCCESS(
                f"\nMusic Sync Hub demo: open {site}/ and log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"
            )
        )
        if settings.MUSICSYNC_SANDBOX:
            self.stdout.write(
                f"Spotify and YouTube are emulated at {settings.SANDBOX_URL}/ ; "
                "on their consent pages pick the sandbox user 'sandbox-alice'.\n"
            )
