"""The database itself refuses rows that would corrupt a library."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from platforms.models import Collection, CollectionItem, Connection, Track
from syncing.models import MatchChoice, Run

pytestmark = pytest.mark.django_db


def test_a_platform_id_is_one_track_per_platform():
    Track.objects.create(platform="spotify", platform_id="abc", title="Song")
    Track.objects.create(platform="youtube", platform_id="abc", title="Same id, other platform")
    with pytest.raises(IntegrityError):
        Track.objects.create(platform="spotify", platform_id="abc", title="Again")


def test_a_person_has_one_connection_per_platform(alice, bob):
    Connection.objects.create(user=alice, platform="spotify")
    Connection.objects.create(user=bob, platform="spotify")
    with pytest.raises(IntegrityError):
        Connection.objects.create(user=alice, platform="spotify")


def test_a_connection_has_one_liked_songs_collection(alice):
    conn = Connection.objects.create(user=alice, platform="youtube")
    Collection.objects.create(connection=conn, kind="liked", platform_id="LL", name="Liked")
    with pytest.raises(IntegrityError):
        Collection.objects.create(connection=conn, kind="liked", platform_id="LL2", name="Liked")


def test_two_items_cannot_share_a_position(alice):
    conn = Connection.objects.create(user=alice, platform="spotify")
    playlist = Collection.objects.create(connection=conn, platform_id="p", name="P")
    CollectionItem.objects.create(collection=playlist, position=0)
    with pytest.raises(IntegrityError):
        CollectionItem.objects.create(collection=playlist, position=0)


def test_a_pair_has_at_most_one_active_run(make_pair):
    pair = make_pair()
    Run.objects.create(pair=pair, user=pair.user, status=Run.Status.RUNNING)
    Run.objects.create(pair=pair, user=pair.user, status=Run.Status.SUCCEEDED)
    Run.objects.create(pair=pair, user=pair.user, status=Run.Status.QUEUED, dry_run=True)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Run.objects.create(pair=pair, user=pair.user, status=Run.Status.WAITING)


def test_a_pinned_choice_needs_a_target_and_never_match_has_none(alice):
    source = Track.objects.create(platform="spotify", platform_id="s", title="Song")
    target = Track.objects.create(platform="youtube", platform_id="y", title="Song video")
    with transaction.atomic(), pytest.raises(IntegrityError):
        MatchChoice.objects.create(user=alice, source=source, target_platform="youtube", kind="pin")
    with transaction.atomic(), pytest.raises(IntegrityError):
        MatchChoice.objects.create(
            user=alice, source=source, target_platform="youtube", kind="never", target=target
        )
    MatchChoice.objects.create(
        user=alice, source=source, target_platform="youtube", kind="pin", target=target
    )


def test_tokens_are_stored_encrypted(alice):
    from django.db import connection

    conn = Connection.objects.create(
        user=alice, platform="spotify", access_token="plain-access", refresh_token="plain-refresh"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM platforms_connection WHERE id = %s", [conn.id]
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert "plain" not in raw_access and "plain" not in raw_refresh
    conn.refresh_from_db()
    assert (conn.access_token, conn.refresh_token) == ("plain-access", "plain-refresh")
