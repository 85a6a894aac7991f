"""`manage.py rotate_encryption_key`: re-encrypt every stored secret under the newest key.

Rotation: put a new key first in FIELD_ENCRYPTION_KEY (keep the old ones after it), deploy,
run this, then drop the old keys. Rows are read raw and rewritten one by one with a
conditional update, so it can run while workers refresh tokens and can be run again.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models
from django.db.models.functions import Cast

from musicsync.crypto import PREFIX, EncryptedTextField, reencrypt


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.attname)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


class Command(BaseCommand):
    help = "Re-encrypt stored secrets (platform tokens) with the first FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, dry_run: bool = False, **options):
        total = 0
        for model, column in encrypted_fields():
            # Read as text through Cast: the field itself would hand back plaintext.
            rows = (
                model._default_manager.annotate(raw=Cast(column, models.TextField()))
                .filter(raw__startswith=PREFIX)
                .values_list("pk", "raw")
                .iterator()
            )
            changed = 0
            for pk, stored in rows:
                if dry_run:
                    changed += 1
                    continue
                # Compared and written as text too, and only if unchanged since read, so a
                # token a worker refreshed meanwhile is not overwritten.
                changed += (
                    model._default_manager.filter(pk=pk)
                    .alias(raw=Cast(column, models.TextField()))
                    .filter(raw=stored)
                    .update(
                        **{column: models.Value(reencrypt(stored), output_field=models.TextField())}
                    )
                )
            total += changed
            label = f"{model._meta.label}.{column}"
            self.stdout.write(
                f"{label}: {changed} re-encrypted" + (" (dry run)" if dry_run else "")
            )
        self.stdout.write(self.style.SUCCESS(f"{total} secrets under the newest key"))
