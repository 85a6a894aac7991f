"""Encryption at rest for secrets kept in the database (platform tokens).

FIELD_ENCRYPTION_KEY holds one or more Fernet keys, newest first. New values are
encrypted with the first; any of them decrypts, so keys can be rotated by putting a
new key in front and running ``manage.py rotate_encryption_key``.
"""

from __future__ import annotations

from functools import cache, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEY))


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    return _decrypt(tuple(settings.FIELD_ENCRYPTION_KEY), stored)


# A list of 50 pairs reads the same two connections' tokens 50 times each: decrypt
# each stored value once per process. Bounded, and keyed by the keys in use.
@lru_cache(maxsize=512)
def _decrypt(keys: tuple[str, ...], stored: str) -> str:
    try:
        return _fernet(keys).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY: "
            "was a key removed before rotation finished?"
        ) from None


def reencrypt(stored: str) -> str:
    """The same secret under the newest key (for key rotation)."""
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted; Python code sees plaintext."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
