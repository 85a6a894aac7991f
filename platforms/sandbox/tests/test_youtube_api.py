"""The YouTube Data API emulator driven by google-api-python-client, as the app drives it."""

from __future__ import annotations

import json

import pytest
from googleapiclient.errors import HttpError

from platforms.sandbox.tests.youtube_support import yt_fixture  # noqa: F401 - the yt fixture


def _reason(error: HttpError) -> str:
    return json.loads(error.content)["error"]["errors"][0]["reason"]


def test_my_channel_names_the_likes_playlist(yt):
    ann = yt.person("Ann Example")
    youtube = yt.client(yt.token(ann))

    response = youtube.channels().list(part="snippet,contentDetails", mine=True).execute()

    (channel,) = response["items"]
    assert channel["snippet"]["title"] == "Ann Example"
    assert channel["contentDetails"]["relatedPlaylists"]["likes"] == "LL"


def test_a_playlist_can_be_created_renamed_and_deleted(yt):
    ann = yt.person()
    youtube = yt.client(yt.token(ann))

    created = (
        youtube.playlists()
        .insert(
            part="snippet,status",
            body={"snippet": {"title": "Road trip"}, "status": {"privacyStatus": "private"}},
        )
        .execute()
    )
    assert created["id"].startswith("PL") and len(created["id"]) == 34
    youtube.playlists().update(
        part="snippet", body={"id": created["id"], "snippet": {"title": "Road trip 2"}}
    ).execute()
    mine = youtube.playlists().list(part="snippet,status", mine=True).execute()
    assert [(p["snippet"]["title"], p["status"]["privacyStatus"]) for p in mine["items"]] == [
        ("Road trip 2", "private")
    ]

    youtube.playlists().delete(id=created["id"]).execute()

    assert youtube.playlists().list(part="snippet", mine=True).execute()["items"] == []


def test_an_item_is_inserted_at_its_position_and_deleted(yt):
    ann = yt.person()
    first, second, third = yt.videos(3)
    playlist_id = yt.playlist(ann, "Mix", [first, second])
    youtube = yt.client(yt.token(ann))

    inserted = (
        youtube.playlistItems()
        .insert(
            part="snippet",
            body={
                "snippet": {
                    "playlistId": playlist_id,
                    "position": 1,
                    "resourceId": {"kind": "youtube#video", "videoId": third},
                }
            },
        )
        .execute()
    )
    assert inserted["snippet"]["position"] == 1
    listed = youtube.playlistItems().list(part="snippet", playlistId=playlist_id).execute()
    assert [i["snippet"]["resourceId"]["videoId"] for i in listed["items"]] == [
        first,
        third,
        second,
    ]

    youtube.playlistItems().delete(id=inserted["id"]).execute()

    listed = youtube.playlistItems().list(part="contentDetails", playlistId=playlist_id).execute()
    assert [i["contentDetails"]["videoId"] for i in listed["items"]] == [first, second]


def test_list_next_pages_through_a_long_playlist(yt):
    ann = yt.person()
    video_ids = yt.videos(123)
    playlist_id = yt.playlist(ann, "Long", video_ids)
    youtube = yt.client(yt.token(ann))

    seen, pages = [], 0
    request = youtube.playlistItems().list(
        part="contentDetails", playlistId=playlist_id, maxResults=50
    )
    while request is not None:
        response = request.execute()
        pages += 1
        assert response["pageInfo"] == {"totalResults": 123, "resultsPerPage": 50}
        seen += [item["contentDetails"]["videoId"] for item in response["items"]]
        request = youtube.playlistItems().list_next(request, response)

    assert seen == video_ids
    assert pages == 3


def test_liking_a_video_shows_in_my_ratings_likes_list_and_ll(yt):
    ann = yt.person()
    song, other = yt.video("Song A"), yt.video("Song B")
    youtube = yt.client(yt.token(ann))

    youtube.videos().rate(id=song, rating="like").execute()
    youtube.videos().rate(id=other, rating="like").execute()
    youtube.videos().rate(id=other, rating="none").execute()

    ratings = youtube.videos().getRating(id=f"{song},{other}").execute()["items"]
    assert ratings == [{"videoId": song, "rating": "like"}, {"videoId": other, "rating": "none"}]
    liked = youtube.videos().list(part="snippet", myRating="like").execute()
    assert [v["id"] for v in liked["items"]] == [song]
    ll = youtube.playlistItems().list(part="snippet", playlistId="LL").execute()
    assert [i["snippet"]["resourceId"]["videoId"] for i in ll["items"]] == [song]


def test_likes_are_listed_newest_first_across_pages(yt):
    ann = yt.person()
    video_ids = yt.videos(7)
    youtube = yt.client(yt.token(ann))
    for video_id in video_ids:
        youtube.videos().rate(id=video_id, rating="like").execute()
        yt.state.clock.advance(1)

    seen = []
    request = youtube.videos().list(part="id", myRating="like", maxResults=3)
    while request is not None:
        response = request.execute()
        seen += [v["id"] for v in response["items"]]
        request = youtube.videos().list_next(request, response)

    assert seen == list(reversed(video_ids))


def test_videos_list_gives_durations_and_leaves_out_what_is_gone(yt):
    ann = yt.person()
    song = yt.video("Song", duration_s=3 * 60 + 33)
    gone = yt.video("Gone", status="deleted")
    youtube = yt.client(yt.token(ann))

    response = (
        youtube.videos()
        .list(part="snippet,contentDetails", id=f"{song},{gone},nosuchvideo")
        .execute()
    )

    assert [(v["id"], v["contentDetails"]["duration"]) for v in response["items"]] == [
        (song, "PT3M33S")
    ]


def test_search_finds_the_original_beside_its_live_and_cover_versions(yt):
    ann = yt.person()
    original = yt.video("Bohemian Rhapsody", channel="Queen - Topic")
    live = yt.video("Bohemian Rhapsody (Live at Wembley '86)", channel="Queen")
    cover = yt.video("Bohemian Rhapsody - Piano Cover", channel="Some Pianist")
    yt.video("Another One Bites the Dust", channel="Queen - Topic")
    youtube = yt.client(yt.token(ann))

    response = (
        youtube.search().list(part="snippet", q="queen bohemian rhapsody", type="video").execute()
    )

    found = [item["id"]["videoId"] for item in response["items"]]
    assert found[0] == original
    assert {live, cover} <= set(found)


def test_a_get_too_long_for_a_url_arrives_as_a_post_with_the_method_override(yt):
    # google-api-python-client sends a GET whose URL passes 2,048 characters as
    # POST + X-HTTP-Method-Override: GET, with the query as a form body; Google serves it.
    ann = yt.person()
    song = yt.video("Smells Like Teen Spirit", channel="Nirvana - Topic")
    youtube = yt.client(yt.token(ann))
    long_query = "smells like teen spirit " + "nirvana " * 300

    response = youtube.search().list(part="id", q=long_query, type="video").execute()

    assert response["kind"] == "youtube#searchListResponse"
    assert song in [item["id"]["videoId"] for item in response["items"]]


def test_search_tolerates_a_typo(yt):
    ann = yt.person()
    song = yt.video("Smells Like Teen Spirit", channel="Nirvana - Topic")
    youtube = yt.client(yt.token(ann))

    response = youtube.search().list(part="id", q="smels like teen sprit", type="video").execute()

    assert response["items"][0]["id"]["videoId"] == song


def test_search_titles_arrive_html_escaped_as_youtube_sends_them(yt):
    ann = yt.person()
    yt.video("Sweet Child O' Mine", channel="Guns N' Roses - Topic")
    youtube = yt.client(yt.token(ann))

    response = youtube.search().list(part="snippet", q="sweet child o mine", type="video").execute()

    assert response["items"][0]["snippet"]["title"] == "Sweet Child O&#39; Mine"


def test_search_pages_at_most_fifty_results(yt):
    ann = yt.person()
    yt.videos(60, title="Lullaby")
    youtube = yt.client(yt.token(ann))

    first = youtube.search().list(part="id", q="lullaby", maxResults=50).execute()
    second = youtube.search().list_next(youtube.search().list(part="id", q="lullaby"), first)

    assert len(first["items"]) == 50
    assert second is not None
    with pytest.raises(HttpError) as raised:
        youtube.search().list(part="id", q="lullaby", maxResults=51).execute()
    assert raised.value.status_code == 400


def test_another_persons_playlist_cannot_be_changed(yt):
    ann, bob = yt.person(), yt.person()
    song = yt.video("Song")
    bobs = yt.playlist(bob, "Bob's", [song])
    youtube = yt.client(yt.token(ann))

    with pytest.raises(HttpError) as raised:
        youtube.playlistItems().insert(
            part="snippet",
            body={
                "snippet": {
                    "playlistId": bobs,
                    "resourceId": {"kind": "youtube#video", "videoId": song},
                }
            },
        ).execute()

    assert raised.value.status_code == 403
    assert _reason(raised.value) == "forbidden"


def test_an_unknown_playlist_is_not_found(yt):
    ann = yt.person()
    youtube = yt.client(yt.token(ann))

    with pytest.raises(HttpError) as raised:
        youtube.playlistItems().list(part="snippet", playlistId="PL" + "x" * 32).execute()

    assert raised.value.status_code == 404
    assert _reason(raised.value) == "playlistNotFound"


def test_a_deleted_video_cannot_be_added(yt):
    ann = yt.person()
    playlist_id = yt.playlist(ann, "Mix", [])
    gone = yt.video("Gone", status="deleted")
    youtube = yt.client(yt.token(ann))

    with pytest.raises(HttpError) as raised:
        youtube.playlistItems().insert(
            part="snippet",
            body={
                "snippet": {
                    "playlistId": playlist_id,
                    "resourceId": {"kind": "youtube#video", "videoId": gone},
                }
            },
        ).execute()

    assert raised.value.status_code == 404
    assert _reason(raised.value) == "videoNotFound"
