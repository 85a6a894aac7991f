"""The person's choices in the review queue take effect on the next run, and keep it."""

from __future__ import annotations

from django.urls import reverse

from platforms.clients import client_for
from platforms.models import Connection
from syncing.models import ReviewItem, Run
from syncing.services.review import review_never
from syncing.tests.test_engine_behaviour import new_pair, sync


def test_never_match_is_reported_as_skipped_and_does_not_make_the_run_partial(
    library, platform_settings, client
):
    pair = new_pair(library, "add_only")
    sandbox = platform_settings
    with sandbox.state.lock:  # a song that YouTube does not have
        obscure = sandbox.state.spotify.add_track(
            "Zzyzx Road Lullaby", ["Nobody Anyone Knows"], "Basement Sessions", 201_000
        )
    obscure_id = getattr(obscure, "id", obscure)
    spotify = client_for(Connection.objects.get(user=library, platform="spotify"))
    spotify.add_items(pair.source.platform_id, [obscure_id])
    first = sync(pair)
    assert first.unmatched >= 1
    review = ReviewItem.objects.get(user=library, status="open", source__platform_id=obscure_id)

    review_never(item=review)
    run = sync(pair)

    assert run.unmatched == first.unmatched - 1
    if first.unmatched == 1:
        assert run.status == Run.Status.SUCCEEDED
    client.force_login(library)
    page = client.get(reverse("syncing:run", args=[run.pk])).content.decode()
    assert "you said never match" in page
    open_items = ReviewItem.objects.filter(pair=pair, status="open").exists()
    assert ("Review unmatched" in page) == open_items
