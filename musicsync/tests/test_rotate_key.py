"""Rotating FIELD_ENCRYPTION_KEY: after the command, the old key can be dropped."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models import TextField
from django.db.models.functions import Cast

from musicsync import crypto
from platforms.models import Connection

pytestmark = pytest.mark.django_db


def stored_access_token() -> str:
    # As stored: through the field it would come back decrypted.
    return (
        Connection.objects.annotate(raw=Cast("access_token", TextField()))
        .values_list("raw", flat=True)
        .get()
    )


def test_tokens_are_readable_with_only_the_new_key_after_rotation(alice, settings, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [old]
    Connection.objects.create(
        user=alice, platform="spotify", access_token="at-123", refresh_token="rt-456"
    )

    settings.FIELD_ENCRYPTION_KEY = [new, old]
    call_command("rotate_encryption_key")
    assert "2 secrets under the newest key" in capsys.readouterr().out

    settings.FIELD_ENCRYPTION_KEY = [new]
    connection = Connection.objects.get(user=alice)
    assert (connection.access_token, connection.refresh_token) == ("at-123", "rt-456")


def test_a_dry_run_counts_and_changes_nothing(alice, settings, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [old]
    Connection.objects.create(user=alice, platform="youtube", access_token="at", refresh_token="")
    raw_before = stored_access_token()

    settings.FIELD_ENCRYPTION_KEY = [new, old]
    call_command("rotate_encryption_key", "--dry-run")

    assert "1 re-encrypted (dry run)" in capsys.readouterr().out
    assert stored_access_token() == raw_before
    assert raw_before.startswith(crypto.PREFIX)


def test_a_token_read_once_is_not_readable_after_its_key_is_removed(alice, settings):
    # Decryptions are remembered per process; dropping a key must still be noticed.
    old, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [old]
    Connection.objects.create(user=alice, platform="spotify", access_token="at-123")
    assert Connection.objects.get(user=alice).access_token == "at-123"

    settings.FIELD_ENCRYPTION_KEY = [other]

    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        Connection.objects.get(user=alice)
