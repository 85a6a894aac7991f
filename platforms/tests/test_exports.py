"""Exports of a collection: CSV, JSON and M3U, safe with hostile titles."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from platforms.exports import csv_safe
from platforms.models import CollectionItem
from platforms.tests import library_builders as build

pytestmark = pytest.mark.django_db


def _download(client, collection, fmt: str):
    response = client.get(reverse("platforms:collection_export", args=[collection.pk, fmt]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def road_trip(alice):
    collection = build.playlist(build.connect(alice), "Road trip")
    build.fill(collection, 3)
    CollectionItem.objects.create(collection=collection, position=3, track=None)
    return collection


def test_csv_export_has_a_row_per_item_with_title_artists_and_link(alice_client, road_trip):
    response, text = _download(alice_client, road_trip, "csv")

    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="road-trip-spotify.csv"' in response["Content-Disposition"]
    assert [r["title"] for r in rows] == ["Song 0", "Song 1", "Song 2", ""]
    assert rows[0]["artists"] == "Artist 0"
    assert rows[0]["url"].startswith("https://open.spotify.com/track/")
    assert rows[3]["available"] == "False"
    assert [r["position"] for r in rows] == ["1", "2", "3", "4"]


def test_an_export_of_a_non_latin_name_keeps_the_name(alice, alice_client):
    collection = build.playlist(build.connect(alice), "夜のドライブ", platform_id="jp")

    response, _ = _download(alice_client, collection, "csv")

    assert "filename*=utf-8''%E5%A4%9C" in response["Content-Disposition"]


def test_a_very_long_name_gives_a_file_name_a_file_system_takes(alice, alice_client):
    from platforms.exports import export_filename

    spotify = build.connect(alice)
    for name in ("Road trip " * 40, "夜のドライブ" * 50):
        collection = build.playlist(spotify, name, platform_id=name[:20])
        response, _ = _download(alice_client, collection, "csv")
        filename = export_filename(collection, "csv")
        assert len(filename.encode()) <= 255 and filename.endswith("-spotify.csv")
        assert filename.startswith(("road-trip-road-trip", "夜のドライブ夜のドライブ"))
        assert response.status_code == 200


def test_an_m3u_names_the_artist_of_a_topic_channel_not_the_channel(alice, alice_client):
    collection = build.playlist(build.connect(alice, "youtube"), "Topic")
    CollectionItem.objects.create(
        collection=collection,
        position=0,
        track=build.track("youtube", 3, title="Paper Lanterns", channel="Mira Solis - Topic"),
    )

    _, text = _download(alice_client, collection, "m3u")

    assert ",Mira Solis - Paper Lanterns" in text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote(alice, alice_client, start):
    collection = build.playlist(build.connect(alice), "Evil")
    evil = f'{start}HYPERLINK("http://evil.example")'
    CollectionItem.objects.create(
        collection=collection, position=0, track=build.track(title=evil, artists=[evil])
    )

    _, text = _download(alice_client, collection, "csv")

    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["title"] == "'" + evil
    assert row["artists"] == "'" + evil


def test_csv_safe_leaves_ordinary_text_alone():
    assert csv_safe("Hello - World") == "Hello - World"
    assert csv_safe(None) == ""
    assert csv_safe(42) == "42"


def test_json_export_is_valid_json_with_the_collection_and_its_items(alice_client, road_trip):
    response, text = _download(alice_client, road_trip, "json")

    data = json.loads(text)
    assert response["Content-Type"] == "application/json"
    assert data["collection"]["name"] == "Road trip"
    assert [i["title"] for i in data["items"]] == ["Song 0", "Song 1", "Song 2", ""]
    assert data["items"][0]["artists"] == ["Artist 0"]


def test_json_export_of_an_empty_collection_is_valid(alice, alice_client):
    collection = build.playlist(build.connect(alice), "Empty")

    _, text = _download(alice_client, collection, "json")

    assert json.loads(text)["items"] == []


def test_m3u_export_lists_playable_items_with_duration_and_link(alice_client, road_trip):
    response, text = _download(alice_client, road_trip, "m3u")

    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    assert "#EXTINF:180,Artist 0 - Song 0" in lines
    assert sum(line.startswith("https://open.spotify.com/track/") for line in lines) == 3


def test_a_newline_in_a_title_cannot_add_an_m3u_entry(alice, alice_client):
    collection = build.playlist(build.connect(alice, "youtube"), "Tricky")
    CollectionItem.objects.create(
        collection=collection,
        position=0,
        track=build.track("youtube", title="Nice song\nhttp://evil.example/x.mp3"),
    )

    _, text = _download(alice_client, collection, "m3u")

    assert "\nhttp://evil.example" not in text
    assert [line for line in text.splitlines() if line.startswith("http")] == [
        "https://www.youtube.com/watch?v=yo00000001"
    ]


def test_an_unknown_format_is_not_found(alice_client, road_trip):
    url = reverse("platforms:collection_export", args=[road_trip.pk, "xlsx"])

    assert alice_client.get(url).status_code == 404


def test_bob_cannot_export_alices_playlist(bob, client, road_trip):
    client.force_login(bob)

    for fmt in ["csv", "json", "m3u"]:
        url = reverse("platforms:collection_export", args=[road_trip.pk, fmt])
        assert client.get(url).status_code == 404
