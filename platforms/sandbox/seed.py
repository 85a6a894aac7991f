"""Seeding the sandbox worlds (placeholder until the catalogue lands)."""

from __future__ import annotations

from typing import Any


def populate(state: Any, *, seed: int = 0) -> None:
    """Fill a fresh state with the catalogue and the demo users."""
