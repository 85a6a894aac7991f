"""Access tokens: refreshed before they expire, rotated refresh tokens saved atomically.

Two workers may want a fresh token for the same connection at once. The refresh runs
under a row lock (SQLite: a write transaction), and whoever comes second finds the
token already refreshed and uses it, so a rotated Spotify refresh token is never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from platforms.errors import PlatformError
from platforms.models import Connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    refresh_token: str = ""  # empty: keep the one we have (Google does not rotate)
    scope: str = ""


def _fresh(conn: Connection, now: datetime) -> bool:
    if not conn.access_token or conn.token_expires_at is None:
        return False
    margin = timedelta(seconds=settings.TOKEN_REFRESH_MARGIN_SECONDS)
    return conn.token_expires_at - margin > now


def connection_mark_needs_reconnect(*, connection: Connection, reason: str) -> None:
    Connection.objects.filter(pk=connection.pk).exclude(state=Connection.State.DISCONNECTED).update(
        state=Connection.State.NEEDS_RECONNECT, state_reason=reason[:255]
    )
    connection.state = Connection.State.NEEDS_RECONNECT
    connection.state_reason = reason[:255]
    logger.warning("connection %s needs reconnect: %s", connection.pk, reason)


class TokenManager:
    """Hands out a valid access token for one connection."""

    def __init__(self, connection: Connection, refresher: Callable[[str], TokenGrant]):
        self.connection = connection
        self._refresher = refresher

    def _require_active(self) -> None:
        if self.connection.state != Connection.State.ACTIVE:
            raise PlatformError(
                "this connection needs to be reconnected",
                platform=self.connection.platform,
                kind="auth",
                permanent=True,
            )

    def access_token(self) -> str:
        self._require_active()
        if _fresh(self.connection, timezone.now()):
            return self.connection.access_token
        return self.refresh(stale_token=self.connection.access_token)

    def refresh(self, *, stale_token: str | None = None) -> str:
        """Refreshes unless someone already replaced ``stale_token``; returns a fresh token."""
        self._require_active()
        refused: PlatformError | None = None
        with transaction.atomic():
            conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
            if conn.state != Connection.State.ACTIVE:
                self.connection = conn
                self._require_active()
            replaced = stale_token is not None and conn.access_token != stale_token
            if replaced and _fresh(conn, timezone.now()):
                self.connection = conn
                return conn.access_token
            if not conn.refresh_token:
                refused = PlatformError(
                    "no refresh token is stored",
                    platform=conn.platform,
                    kind="auth",
                    permanent=True,
                )
            else:
                try:
                    grant = self._refresher(conn.refresh_token)
                except PlatformError as exc:
                    if not exc.needs_reconnect:
                        raise
                    refused = exc
                else:
                    conn.access_token = grant.access_token
                    if grant.refresh_token:
                        conn.refresh_token = grant.refresh_token
                    conn.token_expires_at = timezone.now() + timedelta(seconds=grant.expires_in)
                    conn.token_version += 1
                    conn.save(
                        update_fields=[
                            "access_token",
                            "refresh_token",
                            "token_expires_at",
                            "token_version",
                            "updated_at",
                        ]
                    )
                    self.connection = conn
                    return conn.access_token
        # Outside the transaction, so the state change is not rolled back with it.
        connection_mark_needs_reconnect(connection=self.connection, reason=refused.message)
        raise refused
