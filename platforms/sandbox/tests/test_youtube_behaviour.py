"""YouTube behaviours the app must cope with: tokens, etags, quota, faults, odd items."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from googleapiclient.errors import HttpError

from platforms.sandbox.core import PACIFIC
from platforms.sandbox.tests.youtube_support import (
    READONLY_SCOPE,
    error_reason,
    yt_fixture,  # noqa: F401 - the yt fixture
)

QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


def _seconds_to_pacific_midnight(now: float) -> float:
    here = datetime.fromtimestamp(now, PACIFIC)
    midnight = (here + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp() - now


def test_an_access_token_stops_working_when_it_expires(yt):
    ann = yt.person()
    token = yt.token(ann)
    assert yt.get("channels", token, part="id", mine="true").status_code == 200

    yt.state.clock.advance(3600)
    response = yt.get("channels", token, part="id", mine="true")

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["errors"][0]["reason"] == "authError"


def test_a_request_without_a_token_is_unauthenticated(yt):
    response = yt.get("channels", "", part="id", mine="true", headers={"Authorization": ""})

    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_revoking_a_persons_tokens_locks_the_app_out(yt):
    ann = yt.person()
    token = yt.token(ann)

    yt.control("POST", f"/users/{ann}/revoke")

    assert yt.get("channels", token, part="id", mine="true").status_code == 401


def test_a_read_only_token_cannot_write(yt):
    ann = yt.person()
    token = yt.token(ann, scope=READONLY_SCOPE)

    assert yt.get("playlists", token, part="id", mine="true").status_code == 200
    response = yt.send("POST", "playlists?part=snippet", token, json={"snippet": {"title": "Nope"}})

    assert response.status_code == 403
    assert error_reason(response) == "insufficientPermissions"


def test_a_playlists_etag_changes_with_its_items_and_otherwise_answers_304(yt):
    ann = yt.person()
    first, second = yt.videos(2)
    playlist_id = yt.playlist(ann, "Mix", [first])
    token = yt.token(ann)

    listing = yt.get("playlists", token, part="snippet,contentDetails", mine="true").json()
    etag = listing["items"][0]["etag"]
    assert len(etag) == 27 and '"' not in etag
    again = yt.get(
        "playlists",
        token,
        part="snippet,contentDetails",
        mine="true",
        headers={"If-None-Match": listing["etag"]},
    )
    assert again.status_code == 304
    assert again.content == b""

    yt.send(
        "POST",
        "playlistItems?part=snippet",
        token,
        json={"snippet": {"playlistId": playlist_id, "resourceId": {"videoId": second}}},
    )
    changed = yt.get(
        "playlists",
        token,
        part="snippet,contentDetails",
        mine="true",
        headers={"If-None-Match": listing["etag"]},
    )

    assert changed.status_code == 200
    assert changed.json()["items"][0]["etag"] != etag


def test_an_items_page_answers_304_until_the_playlist_changes(yt):
    ann = yt.person()
    playlist_id = yt.playlist(ann, "Mix", yt.videos(3))
    token = yt.token(ann)
    page = yt.get("playlistItems", token, part="snippet", playlistId=playlist_id).json()

    unchanged = yt.get(
        "playlistItems",
        token,
        part="snippet",
        playlistId=playlist_id,
        headers={"If-None-Match": page["etag"]},
    )
    yt.control("POST", f"/videos/{page['items'][0]['snippet']['resourceId']['videoId']}",
               json={"status": "deleted"})  # fmt: skip
    changed = yt.get(
        "playlistItems",
        token,
        part="snippet",
        playlistId=playlist_id,
        headers={"If-None-Match": page["etag"]},
    )

    assert unchanged.status_code == 304
    assert changed.status_code == 200


def test_quota_exceeded_has_youtubes_body_and_is_not_retried(yt):
    ann = yt.person()
    youtube = yt.client(yt.token(ann))
    yt.control("POST", "/quota", json={"used": 10_000})

    with pytest.raises(HttpError) as raised:
        youtube.playlists().list(part="id", mine=True).execute(num_retries=3)

    assert raised.value.status_code == 403
    error = json.loads(raised.value.content)["error"]
    assert error["message"] == QUOTA_MESSAGE
    assert error["errors"][0] == {
        "message": QUOTA_MESSAGE,
        "domain": "youtube.quota",
        "reason": "quotaExceeded",
    }
    # Google's encoder escapes the link's angle brackets on the wire.
    assert b"\\u003ca href=" in raised.value.content
    assert yt.calls("youtube.playlists.list") == 1


def test_quota_comes_back_after_midnight_pacific_time(yt):
    ann = yt.person()
    yt.control("POST", "/quota", json={"used": 9_990})
    assert yt.get("search", yt.token(ann), part="id", q="anything").status_code == 403

    yt.state.clock.advance(_seconds_to_pacific_midnight(yt.state.clock.now()) - 60)
    assert yt.get("search", yt.token(ann), part="id", q="anything").status_code == 403
    yt.state.clock.advance(61)
    response = yt.get("search", yt.token(ann), part="id", q="anything")

    assert response.status_code == 200
    assert yt.quota_used() == 100


def test_each_method_costs_its_units_even_when_the_request_is_invalid(yt):
    ann = yt.person()
    song = yt.video("Song")
    playlist_id = yt.playlist(ann, "Mix", [])
    token = yt.token(ann)

    yt.get("playlists", token, part="id", mine="true")
    yt.get("search", token, part="id", q="song")
    yt.send(
        "POST",
        "playlistItems?part=snippet",
        token,
        json={"snippet": {"playlistId": playlist_id, "resourceId": {"videoId": song}}},
    )
    yt.send("POST", f"videos/rate?id={song}&rating=like", token)
    yt.get("videos/getRating", token, id=song)
    bad = yt.get("playlistItems", token, part="snippet", playlistId=playlist_id, pageToken="x!")

    assert bad.status_code == 400
    assert yt.quota_used() == 1 + 100 + 50 + 50 + 1 + 1


def test_costs_follow_the_knobs(yt):
    ann = yt.person()
    yt.state.knobs.update(youtube_costs={"search.list": None, "search": 7, "list": 2})
    token = yt.token(ann)

    yt.get("search", token, part="id", q="song")
    yt.get("playlists", token, part="id", mine="true")

    assert yt.quota_used() == 7 + 2


def test_quota_is_counted_per_google_project(yt):
    ann = yt.person()
    other_project = "other-project.apps.googleusercontent.com"
    yt.control("POST", "/clients", json={"client_id": other_project, "client_secret": "s"})
    yt.control("POST", "/quota", json={"used": 10_000})

    response = yt.get("playlists", yt.token(ann, client_id=other_project), part="id", mine="true")

    assert response.status_code == 200
    assert yt.quota_used(other_project) == 1


def test_the_client_retries_a_rate_limit_and_then_succeeds(yt):
    ann = yt.person()
    youtube = yt.client(yt.token(ann))
    yt.state.knobs.update(fail_next={"youtube.playlists.list": [429]})

    response = youtube.playlists().list(part="id", mine=True).execute(num_retries=2)

    assert response["items"] == []
    assert yt.calls("youtube.playlists.list") == 2


def test_a_rate_limit_without_retries_says_rate_limit_exceeded(yt):
    ann = yt.person()
    token = yt.token(ann)
    yt.state.knobs.update(fail_next={"youtube.*": [429]})

    response = yt.get("playlists", token, part="id", mine="true")

    assert response.status_code == 429
    assert response.json()["error"]["errors"][0]["domain"] == "usageLimits"
    assert error_reason(response) == "rateLimitExceeded"


def test_injected_server_errors_have_googles_body(yt):
    ann = yt.person()
    token = yt.token(ann)
    yt.state.knobs.update(fail_next={"youtube.search.list": [503]})

    response = yt.get("search", token, part="id", q="x")

    assert response.status_code == 503
    assert error_reason(response) == "backendError"


def test_deleted_and_private_videos_show_as_youtube_shows_them_in_a_playlist(yt):
    ann = yt.person()
    fine, deleted, private = yt.video("Fine"), yt.video("Deleted"), yt.video("Private")
    playlist_id = yt.playlist(ann, "Mix", [fine, deleted, private])
    yt.control("POST", f"/videos/{deleted}", json={"status": "deleted"})
    yt.control("POST", f"/videos/{private}", json={"status": "private"})

    items = yt.get(
        "playlistItems", yt.token(ann), part="snippet,contentDetails,status", playlistId=playlist_id
    ).json()["items"]

    shown = [
        (
            i["snippet"]["title"],
            i["snippet"].get("videoOwnerChannelTitle"),
            "videoPublishedAt" in i["contentDetails"],
            i["status"]["privacyStatus"],
        )
        for i in items
    ]
    assert shown == [
        ("Fine", "Some Artist - Topic", True, "public"),
        ("Deleted video", None, False, "privacyStatusUnspecified"),
        ("Private video", None, False, "private"),
    ]
    assert [i["contentDetails"]["videoId"] for i in items] == [fine, deleted, private]


def test_a_playlist_holds_at_most_5000_items(yt):
    ann = yt.person()
    video_ids = yt.videos(5_001)
    playlist_id = yt.playlist(ann, "Huge", video_ids[:5_000])

    response = yt.send(
        "POST",
        "playlistItems?part=snippet",
        yt.token(ann),
        json={"snippet": {"playlistId": playlist_id, "resourceId": {"videoId": video_ids[-1]}}},
    )

    assert response.status_code == 403
    assert error_reason(response) == "playlistContainsMaximumNumberOfVideos"


def test_page_tokens_are_opaque_and_a_bad_one_is_rejected(yt):
    ann = yt.person()
    playlist_id = yt.playlist(ann, "Mix", yt.videos(12))
    token = yt.token(ann)

    first = yt.get("playlistItems", token, part="id", playlistId=playlist_id, maxResults=10).json()
    second = yt.get(
        "playlistItems", token, part="id", playlistId=playlist_id, pageToken=first["nextPageToken"]
    ).json()
    bad = yt.get("playlistItems", token, part="id", playlistId=playlist_id, pageToken="CAoQBQ")

    assert first["nextPageToken"] == "CAoQAA"
    assert "nextPageToken" not in second and second["prevPageToken"] == "CAoQAQ"
    assert len(second["items"]) == 2
    assert bad.status_code == 400
    assert error_reason(bad) == "invalidPageToken"


def test_control_routes_show_a_persons_playlists_as_they_stand(yt):
    ann = yt.person()
    song = yt.video("Song")
    yt.playlist(ann, "Mix", [song])

    (playlist,) = yt.control("GET", f"/users/{ann}/playlists")

    assert playlist["title"] == "Mix"
    assert [(i["video_id"], i["title"]) for i in playlist["items"]] == [(song, "Song")]
