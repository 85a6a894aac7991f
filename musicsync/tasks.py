"""Jobs of the project itself (not of one app)."""

from __future__ import annotations

import dramatiq
from django.core.cache import cache


@dramatiq.actor(max_retries=0, time_limit=10_000)
def ping(token: str) -> None:
    """Proves a worker is consuming jobs: it writes the token back where the sender looks."""
    cache.set(f"ping:{token}", "pong", timeout=300)
