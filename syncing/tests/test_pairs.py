"""Making pairs: one at a time with clear errors, or all at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from platforms.models import Collection, Connection
from syncing.services.pairs import pair_check, pair_create, pairs_create_for_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(alice):
    spotify = Connection.objects.create(user=alice, platform="spotify")
    Connection.objects.create(user=alice, platform="youtube")
    for name in ("Road", "Gym", "Sleep"):
        Collection.objects.create(connection=spotify, platform_id=name, name=name)
    Collection.objects.create(connection=spotify, kind="liked", platform_id="liked", name="Liked")
    return spotify


def test_sync_all_my_playlists_makes_one_pair_per_playlist_once(alice, library):
    made, refused = pairs_create_for_all(
        user=alice, kind="playlists", source_platform="spotify", mode="mirror", schedule="daily"
    )
    assert sorted(p.source.name for p in made) == ["Gym", "Road", "Sleep"] and refused == []
    assert all(p.target_platform == "youtube" and p.target is None for p in made)
    assert all(p.next_run_at is not None for p in made)  # spread over the day
    again = pairs_create_for_all(
        user=alice, kind="playlists", source_platform="spotify", mode="mirror", schedule="daily"
    )
    assert again == ([], [])


def test_sync_all_joins_same_named_playlists_and_never_copies_a_copy_back(alice, library):
    youtube = Connection.objects.get(user=alice, platform="youtube")
    gym_yt = Collection.objects.create(connection=youtube, platform_id="g", name="gym ")
    copy = Collection.objects.create(connection=youtube, platform_id="c", name="Copied")
    pair_create(
        user=alice, source=copy, target=Collection.objects.get(connection=library, name="Road"),
        target_platform="spotify",
    )  # fmt: skip

    made, _ = pairs_create_for_all(
        user=alice, kind="playlists", source_platform="spotify", mode="mirror", schedule="daily"
    )

    by_source = {p.source.name: p for p in made}
    assert sorted(by_source) == ["Gym", "Sleep"]  # "Road" is a pair's target already
    assert by_source["Gym"].target == gym_yt
    assert by_source["Sleep"].target is None and by_source["Sleep"].target_name == "Sleep"


def test_sync_all_names_long_playlists_to_fit_and_says_which_it_could_not_pair(alice, library):
    Collection.objects.create(connection=library, platform_id="long", name="Long " * 40)
    followed = Collection.objects.create(
        connection=library, platform_id="f", name="Followed", editable=False
    )

    made, refused = pairs_create_for_all(
        user=alice, kind="playlists", source_platform="spotify", mode="two_way", schedule="manual"
    )

    long_pair = next(p for p in made if p.source.name.startswith("Long"))
    assert len(long_pair.target_name) == 150 and long_pair.target_name.endswith("…")
    assert [(c, "Two way" in why) for c, why in refused] == [(followed, True)]
    assert len(made) == 4  # Gym, Road, Sleep and the long one: the rest went on


def test_sync_all_my_liked_songs_makes_the_liked_pair(alice, library):
    (pair,), _ = pairs_create_for_all(
        user=alice, kind="liked", source_platform="spotify", mode="add_only", schedule="manual"
    )
    assert pair.source.kind == "liked" and "Liked" in pair.target_name


def test_a_pair_cannot_target_the_same_platform_or_someone_elses_playlist(alice, bob, library):
    bobs = Collection.objects.create(
        connection=Connection.objects.create(user=bob, platform="youtube"),
        platform_id="b",
        name="B",
    )
    source = Collection.objects.get(connection=library, name="Road")
    with pytest.raises(ValidationError) as same:
        pair_create(user=alice, source=source, target=None, target_platform="spotify",
                    target_name="x")  # fmt: skip
    assert "target_platform" in same.value.message_dict
    with pytest.raises(ValidationError) as foreign:
        pair_create(user=alice, source=source, target=bobs, target_platform="youtube")
    assert "target" in foreign.value.message_dict


def test_a_playlist_whose_songs_the_platform_refuses_cannot_be_a_source(alice, library):
    followed = Collection.objects.create(
        connection=library, platform_id="bob", name="Bob's Bangers", item_count=40,
        editable=False, items_readable=False,
    )  # fmt: skip

    with pytest.raises(ValidationError) as refused:
        pair_create(user=alice, source=followed, target=None, target_platform="youtube",
                    target_name="Copy")  # fmt: skip
    made, not_made = pairs_create_for_all(
        user=alice, kind="playlists", source_platform="spotify", mode="add_only", schedule="manual"
    )

    why = "Spotify does not let apps read the songs of a playlist you follow"
    assert why in refused.value.message_dict["source"][0]
    assert [(c, why in reason) for c, reason in not_made] == [(followed, True)]
    assert len(made) == 3


def test_two_collections_can_be_paired_only_once_either_way_round(alice, library):
    youtube = Collection.objects.create(
        connection=Connection.objects.get(user=alice, platform="youtube"),
        platform_id="ytliked", kind="liked", name="Liked videos",
    )  # fmt: skip
    liked = Collection.objects.get(connection=library, kind="liked")
    two_way = pair_create(
        user=alice, source=liked, target=youtube, target_platform="youtube", mode="two_way"
    )

    for source, target, platform in ((liked, youtube, "youtube"), (youtube, liked, "spotify")):
        with pytest.raises(ValidationError) as again:
            pair_create(user=alice, source=source, target=target, target_platform=platform)
        assert again.value.message_dict["target"] == [
            "These two are already paired (Liked ⇄ Liked videos (Two way)): "
            "change that pair instead."
        ]
    two_way.mode = "mirror"
    pair_check(pair=two_way)  # the pair itself can still be changed


def test_two_way_refuses_keep_duplicates_as_it_refuses_strict(alice, library):
    source = Collection.objects.get(connection=library, name="Road")

    with pytest.raises(ValidationError) as refused:
        pair_create(
            user=alice, source=source, target=None, target_platform="youtube",
            target_name="Road", mode="two_way", keep_duplicates=True, strict=True,
        )  # fmt: skip

    assert set(refused.value.message_dict) == {"keep_duplicates", "strict"}
