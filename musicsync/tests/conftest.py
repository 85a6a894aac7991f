from __future__ import annotations

import itertools

import pytest

from platforms.models import Collection, Connection


@pytest.fixture
def make_pair(alice):
    """Makes sync pairs of alice's: a Spotify playlist to a new YouTube playlist."""
    from syncing.models import SyncPair

    counter = itertools.count()
    spotify, _ = Connection.objects.get_or_create(user=alice, platform="spotify")

    def make(**fields):
        n = next(counter)
        source = Collection.objects.create(
            connection=spotify, platform_id=f"pl{n}", name=f"List {n}"
        )
        return SyncPair.objects.create(
            user=alice, source=source, target_platform="youtube", target_name=f"List {n}", **fields
        )

    make.user = alice
    return make
