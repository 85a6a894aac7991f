"""Nobody reaches anybody else's things through the API: a sweep over the whole schema.

Every operation in the OpenAPI schema is called with bob's token against alice's ids.
An operation on one object must answer 404 (never 403, which would say it exists), a
list must hold none of alice's things, and alice's data must be as it was.
A new endpoint joins the sweep by itself; one with a new kind of id fails until the
sweep knows whose id to use.
"""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from syncing.models import ReviewItem, Run, SyncPair
from tests.api.library import build_library, token_client

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def alice_id_for(path: str, lib) -> int:
    """Which of alice's objects a path's {id} names, by the collection it is under."""
    resource = path.split("/")[2]
    ids = {
        "connections": lib.spotify.pk,
        "playlists": lib.playlist.pk,
        "liked": lib.liked.pk,
        "pairs": lib.pair.pk,
        "runs": lib.active_run.pk,
        "review": lib.review.pk,
    }
    assert resource in ids, f"the isolation sweep does not know whose id {path} takes"
    return ids[resource]


@pytest.fixture
def lib(alice):
    return build_library(alice, tag="alice")


@pytest.fixture
def bob_api(bob):
    build_library(bob, tag="bob")
    return token_client(bob)


def snapshot(lib) -> dict:
    return {
        "pairs": list(SyncPair.objects.filter(user=lib.pair.user).values().order_by("pk")),
        "runs": list(Run.objects.filter(user=lib.pair.user).values().order_by("pk")),
        "review": list(ReviewItem.objects.filter(user=lib.pair.user).values().order_by("pk")),
    }


def test_every_operation_on_one_of_alices_objects_is_404_for_bob(bob_api, lib, settings):
    settings.MUSICSYNC_RATE_LIMITS = {**settings.MUSICSYNC_RATE_LIMITS, "sync-trigger": "1000/h"}
    before = snapshot(lib)
    swept = []
    for path, method, _ in operations():
        if "{id}" not in path:
            continue
        url = path.replace("{id}", str(alice_id_for(path, lib)))
        body = {"never": True} if url.endswith("/resolve/") else {}
        response = getattr(bob_api, method)(url, body, format="json")
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
        swept.append(f"{method} {path}")
    assert len(swept) >= 15  # the sweep did sweep
    assert snapshot(lib) == before


def test_every_list_shows_bob_none_of_alices_things(bob_api, lib):
    for path, method, operation in operations():
        if method != "get" or "{" in path:
            continue
        response = bob_api.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert "alice" not in text, f"{path} shows alice's things to bob"


def test_filters_by_alices_ids_are_refused_like_unknown_ids(bob_api, lib):
    for path, method, operation in operations():
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if method != "get" or "pair" not in names:
            continue
        response = bob_api.get(path, {"pair": lib.pair.pk})
        assert response.status_code == 400, path
        assert "pair" in response.json()


def test_alices_ids_in_a_request_body_read_as_not_existing(bob_api, lib):
    body = {
        "source": lib.playlist.pk,
        "target": lib.youtube_playlist.pk,
        "target_platform": "youtube",
    }
    response = bob_api.post("/api/pairs/", body, format="json")
    assert response.status_code == 400
    assert re.match(r"Invalid pk .* does not exist", response.json()["source"][0])
    assert re.match(r"Invalid pk .* does not exist", response.json()["target"][0])
    assert not SyncPair.objects.filter(source=lib.playlist).exclude(pk=lib.pair.pk).exists()
