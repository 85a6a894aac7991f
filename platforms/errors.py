"""The one error type every platform failure becomes."""

from __future__ import annotations

from datetime import datetime


class PlatformError(Exception):
    """A platform call failed.

    ``permanent`` says whether trying again can help: a revoked token or a 403 on a
    playlist is permanent (mark the connection or item, tell the person); a 429, a 5xx
    or a dropped connection is not. ``kind`` names the failure for callers that react
    to it: "auth", "forbidden", "not_found", "bad_request", "quota", "rate_limit",
    "server", "network", "playlist_full".
    """

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        kind: str,
        permanent: bool,
        status: int | None = None,
        retry_after: float | None = None,
        resume_at: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.kind = kind
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after
        self.resume_at = resume_at

    def __str__(self) -> str:
        status = f" ({self.status})" if self.status else ""
        return f"{self.platform} {self.kind}{status}: {self.message}"

    @property
    def needs_reconnect(self) -> bool:
        return self.kind == "auth"


class QuotaExhausted(PlatformError):
    """Not enough YouTube quota left today; ``resume_at`` is the next Pacific midnight."""

    def __init__(self, message: str, *, resume_at: datetime) -> None:
        super().__init__(
            message, platform="youtube", kind="quota", permanent=False, resume_at=resume_at
        )
