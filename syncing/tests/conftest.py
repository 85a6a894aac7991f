from __future__ import annotations

import pytest

from platforms.services import library_import


@pytest.fixture
def library(alice_connected):
    """alice, connected to sandbox-alice on both platforms, with both libraries imported."""
    library_import(connection_id=alice_connected.spotify.pk)
    library_import(connection_id=alice_connected.youtube.pk)
    return alice_connected
