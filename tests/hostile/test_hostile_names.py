"""Names from strangers (anybody can name a video or a playlist) shown everywhere:
pages, the admin, exports. Markup stays text, CSV formulas stay text, bidi and
zero-width characters and 10,000-character titles don't break a page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from platforms.models import CollectionItem
from platforms.tests import library_builders as build
from syncing.models import ReviewItem, RunChange

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
MARKUP = SCRIPT + IMG
# Right-to-left override ("exe.mp3" shown as "3pm.exe"), then zero-width space and joiner.
BIDI = "Mix \u202e3pm.exe\u202c"
ZERO_WIDTH = "Zero\u200bWidth\u200dSong\ufeff"
FORMULA = "=cmd|' /C calc'!A0"
LONG = ("Long title " * 1000)[:10_000]
NAMES = [MARKUP, BIDI, ZERO_WIDTH, FORMULA, LONG]


@pytest.fixture
def hostile(alice):
    """alice's library where every name a stranger controls is hostile."""
    spotify, youtube = build.two_connected(alice)
    spotify.account_name = MARKUP
    spotify.save()
    source = build.playlist(spotify, MARKUP, description=MARKUP)
    target = build.playlist(youtube, BIDI)
    liked = build.liked(youtube)
    tracks = [
        build.track("spotify", n, title=name, artists=[name], album=name)
        for n, name in enumerate(NAMES, start=1)
    ]
    videos = [
        build.track("youtube", n, title=name, channel=name) for n, name in enumerate(NAMES, 1)
    ]
    for i, track in enumerate(tracks):
        CollectionItem.objects.create(collection=source, position=i, track=track)
    for i, video in enumerate(videos):
        CollectionItem.objects.create(collection=target, position=i, track=video)
        CollectionItem.objects.create(collection=liked, position=i, track=video)
    pair = build.pair(alice, source, target, target_name=MARKUP)
    run = build.run(pair, added=len(NAMES), error=MARKUP)
    for seq, (track, video) in enumerate(zip(tracks, videos, strict=True)):
        RunChange.objects.create(
            run=run, seq=seq, action="add", item=track, counterpart=video, reason=MARKUP
        )
    review = ReviewItem.objects.create(
        user=alice, pair=pair, source=tracks[0], target_platform="youtube",
        candidates=[{"track": videos[0].pk, "confidence": 0.5, "reasons": [MARKUP]}],
    )  # fmt: skip
    return {
        "source": source, "target": target, "liked": liked, "pair": pair, "run": run,
        "review": review, "tracks": tracks, "videos": videos, "connection": spotify,
    }  # fmt: skip


def assert_shown_as_text(response, where: str) -> str:
    assert response.status_code == 200, (where, response.status_code)
    text = response.content.decode()
    assert SCRIPT not in text, where
    assert "<img src=x" not in text, where
    return text


def test_hostile_names_are_text_on_every_page(alice_client, hostile):
    pages = [
        reverse("dashboard"),
        reverse("platforms:playlists"),
        reverse("platforms:playlists") + "?platform=youtube",
        reverse("platforms:liked") + "?platform=youtube",
        reverse("platforms:collection", args=[hostile["source"].pk]),
        reverse("platforms:collection", args=[hostile["target"].pk]),
        reverse("syncing:pairs"),
        reverse("syncing:pair", args=[hostile["pair"].pk]),
        reverse("syncing:pair_edit", args=[hostile["pair"].pk]),
        reverse("syncing:runs"),
        reverse("syncing:run", args=[hostile["run"].pk]),
        reverse("syncing:review"),
    ]
    shown_escaped = 0
    for url in pages:
        text = assert_shown_as_text(alice_client.get(url), url)
        shown_escaped += "&lt;script&gt;" in text
    assert shown_escaped >= len(pages) - 2, "the hostile names are not shown at all"

    # A search with markup in it is echoed back as text too.
    searched = alice_client.get(reverse("platforms:playlists"), {"q": MARKUP})
    assert_shown_as_text(searched, "search")


def test_bidi_zero_width_and_very_long_titles_arrive_intact_and_the_page_stays_small(
    alice_client, hostile
):
    url = reverse("platforms:collection", args=[hostile["source"].pk])
    text = assert_shown_as_text(alice_client.get(url), url)
    # The characters are the name's own: kept, not stripped or turned into something else.
    assert BIDI in text or BIDI.replace("\u202c", "") in text
    assert ZERO_WIDTH.rstrip("\ufeff") in text
    # A 10,000-character title appears, but the page doesn't grow by it many times over.
    assert LONG[:200] in text
    assert len(text) < 200_000


@pytest.mark.parametrize(
    "model", ["track", "collection", "connection", "syncpair", "run", "runchange", "reviewitem"]
)
def test_hostile_names_are_text_in_the_admin(client, alice, hostile, settings, model):
    settings.MUSICSYNC_2FA = "off"  # the OTP step is tested in accounts; here: what it shows
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    app = "syncing" if model in ("syncpair", "run", "runchange", "reviewitem") else "platforms"
    listing = f"/admin/{app}/{model}/"
    assert_shown_as_text(client.get(listing), listing)
    assert_shown_as_text(client.get(listing, {"q": MARKUP}), listing + "?q=")
    objects = {
        "track": hostile["tracks"][0], "collection": hostile["source"],
        "connection": hostile["connection"], "syncpair": hostile["pair"], "run": hostile["run"],
        "runchange": hostile["run"].changes.first(), "reviewitem": hostile["review"],
    }  # fmt: skip
    change = f"{listing}{objects[model].pk}/change/"
    assert_shown_as_text(client.get(change), change)


def export(alice_client, collection, fmt: str) -> str:
    response = alice_client.get(reverse("platforms:collection_export", args=[collection.pk, fmt]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_exports_neutralise_formulas_and_keep_every_name(alice_client, hostile):
    rows = list(csv.DictReader(io.StringIO(export(alice_client, hostile["source"], "csv"))))
    titles = [row["title"] for row in rows]

    assert len(rows) == len(NAMES)
    assert "'" + FORMULA in titles and FORMULA not in titles
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert MARKUP in titles and LONG in titles  # a CSV is data: the text itself, whole


def test_json_exports_are_valid_and_carry_names_exactly(alice_client, hostile):
    body = json.loads(export(alice_client, hostile["source"], "json"))

    assert body["collection"]["name"] == MARKUP
    assert [item["title"] for item in body["items"]] == NAMES


def test_m3u_exports_keep_one_entry_per_track_whatever_the_names(alice_client, hostile):
    lines = export(alice_client, hostile["target"], "m3u").splitlines()

    entries = [line for line in lines if line.startswith("#EXTINF")]
    links = [line for line in lines if line and not line.startswith("#")]
    assert len(entries) == len(links) == len(NAMES)
    assert all(link.startswith("https://www.youtube.com/watch?v=") for link in links)
    assert lines[1].startswith("#PLAYLIST:")


def test_a_hostile_export_filename_is_safe(alice_client, hostile):
    url = reverse("platforms:collection_export", args=[hostile["source"].pk, "csv"])
    disposition = alice_client.get(url)["Content-Disposition"]
    assert "<" not in disposition and '"' not in disposition.split("filename=", 1)[1].strip('"')
