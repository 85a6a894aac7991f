"""A 10,000-item playlist imports in a bounded number of database queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platforms.models import Collection
from platforms.sandbox.seed import seed_large_library
from platforms.services import library_import

pytestmark = pytest.mark.slow


def test_a_10000_item_playlist_imports_with_a_bounded_number_of_queries(
    alice, platform_settings, transactional_db
):
    from conftest import connect

    sandbox = platform_settings
    seed_large_library(
        sandbox.state, "sandbox-huge", 10_000, {"Huge": 10_000}, liked=0, platforms=("spotify",)
    )
    conn = connect(alice, "spotify", sandbox, "sandbox-huge")

    with CaptureQueriesContext(connection) as queries:
        library_import(connection_id=conn.pk)

    huge = Collection.objects.get(connection=conn, name="Huge")
    assert huge.items.count() == 10_000
    # Bulk writes: the count grows with batches (SQLite caps a batch near 100 tracks by its
    # variable limit, PostgreSQL takes 1,000), never with tracks: less than one per page.
    pages = 10_000 // 50
    from collections import Counter

    kinds = Counter(q["sql"][:60] for q in queries.captured_queries)
    assert len(queries) < pages, f"{len(queries)} queries for 10,000 items: {kinds.most_common(8)}"
