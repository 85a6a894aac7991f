"""Search queries for the other platform, and reading a video's artist and title."""

from __future__ import annotations

from platforms.types import Platform, Track
from syncing.matching import guess_song, search_queries


def spotify(title: str, *artists: str, album: str = "", isrc: str = "") -> Track:
    return Track(Platform.SPOTIFY, "sp1", title, artists=artists, album=album, isrc=isrc)


def video(title: str, channel: str = "", isrc: str = "") -> Track:
    return Track(Platform.YOUTUBE, "yt1", title, channel=channel, isrc=isrc)


def test_it_searches_spotify_by_isrc_first_when_known():
    queries = search_queries(
        video("Mira Solis - Paper Lanterns", "Mira Solis", isrc="qzabc2400001")
    )
    assert queries[0] == "isrc:QZABC2400001"
    assert len(queries) <= 3


def test_it_searches_spotify_for_artist_and_title_then_the_title_field():
    queries = search_queries(video("Mira Solis - Paper Lanterns (Official Video) [HD]", "Mira"))
    assert queries == ["Mira Solis Paper Lanterns", 'track:"Paper Lanterns"']


def test_it_reads_the_artist_from_a_topic_channel_for_the_query():
    queries = search_queries(video("Slow Tide", "Harbor Kids - Topic"))
    assert queries[0] == "Harbor Kids Slow Tide"


def test_it_reads_the_artist_from_a_vevo_channel_when_the_title_has_none():
    assert (
        guess_song(video("Paper Lanterns (Official Video)", "MiraSolisVEVO")).artist == "MiraSolis"
    )


def test_it_reads_title_pipe_artist_when_the_channel_is_the_artist():
    song = guess_song(video("Paper Lanterns | Mira Solis", "Mira Solis"))
    assert (song.artist, song.title) == ("Mira Solis", "Paper Lanterns")


def test_a_slash_inside_a_name_does_not_split_the_video_title():
    song = guess_song(video("AC/DC - T.N.T. (Live)", "acdcVEVO"))
    assert (song.artist, song.title) == ("AC/DC", "T.N.T.")
    song = guess_song(video("Paper Lanterns / Mira Solis", "Mira Solis"))
    assert (song.artist, song.title) == ("Mira Solis", "Paper Lanterns")


def test_it_reads_the_title_or_the_artist_in_lenticular_brackets():
    def read(title: str, channel: str) -> tuple[str, str]:
        song = guess_song(video(title, channel))
        return song.artist, song.title

    assert read("晴空樂團 Clear Sky【海風 Sea Breeze】Official MV", "晴空音樂") == (
        "晴空樂團 Clear Sky",
        "海風 Sea Breeze",
    )
    assert read("【Aoi Haruka】夜明けの街（映画「朝」主題歌）", "Aoi Haruka") == (
        "Aoi Haruka",
        "夜明けの街",
    )
    assert read("【Aoi Haruka - Morning Street】 Special Video", "Label") == (
        "Aoi Haruka",
        "Morning Street",
    )
    assert read("夜明けの街【Aoi Haruka】", "Aoi Haruka") == ("Aoi Haruka", "夜明けの街")
    # A bracket of noise words marks nothing: the title is read as before.
    assert read("Aoi Haruka - Morning Street【MV】", "Label") == ("Aoi Haruka", "Morning Street")


def test_a_quoted_nickname_stays_in_the_artist_name():
    song = guess_song(video('Kai "Big Wave" Varga - Northern Lights ft. Mira', "Kai Varga"))
    assert (song.artist, song.title) == ('Kai "Big Wave" Varga', "Northern Lights")
    # A quoted title after the artist is still the title, whatever follows it.
    song = guess_song(
        video('Kai Varga "Northern Lights" (Live Session) | Open Stage', "Open Stage")
    )
    assert (song.artist, song.title) == ("Kai Varga", "Northern Lights")


def test_the_part_led_by_the_channel_s_artist_is_the_artist():
    song = guess_song(video("Northern Lights - Kai Varga x Mira Solis x Della Moor", "Kai Varga"))
    assert (song.artist, song.title) == ("Kai Varga x Mira Solis x Della Moor", "Northern Lights")


def test_producers_are_left_out_of_the_title():
    song = guess_song(video("Kai Varga - NORTHERN LIGHTS prod. by Mira & Solis", "Kai Varga"))
    assert song.title == "NORTHERN LIGHTS"
    assert search_queries(video("Kai Varga - Glow (Prod. By Mira)", "x"))[0] == "Kai Varga Glow"


def test_it_reads_a_quoted_title_in_corner_brackets():
    song = guess_song(video("Aoi Haruka「夜明けの街」Music Video", "Aoi Haruka Official"))
    assert (song.artist, song.title) == ("Aoi Haruka", "夜明けの街")


def test_it_leaves_featured_artists_out_of_a_spotify_query():
    queries = search_queries(video("Della Moor ft. Kai Varga - Northern Lights", "Della Moor"))
    assert queries[0] == "Della Moor Northern Lights"


def test_it_keeps_version_words_in_the_query():
    queries = search_queries(video("Mira Solis - Paper Lanterns (Live at Wembley)", "Mira Solis"))
    assert queries == ["Mira Solis Paper Lanterns live", 'track:"Paper Lanterns" live']


def test_a_version_named_by_what_it_is_is_not_a_search_word():
    # "excerpt" or "arrangement" are in no title: searching for them would find nothing.
    teaser = search_queries(video("Mira Solis - Paper Lanterns (Official Teaser)", "Mira Solis"))
    assert teaser == ["Mira Solis Paper Lanterns", 'track:"Paper Lanterns"']
    demo = search_queries(spotify("Paper Lanterns - Demo", "Mira Solis"))
    assert demo == ["Mira Solis - Paper Lanterns demo"]


def test_it_sends_youtube_one_query_for_a_single():
    queries = search_queries(spotify("Paper Lanterns", "Mira Solis", album="Paper Lanterns"))
    assert queries == ["Mira Solis - Paper Lanterns"]


def test_it_leaves_spotify_qualifiers_out_of_the_youtube_query():
    song = spotify("Paper Lanterns (feat. Kai Varga) - 2015 Remaster", "Mira Solis")
    assert search_queries(song)[0] == "Mira Solis - Paper Lanterns"


def test_it_spends_one_youtube_search_on_a_soundtrack_song_or_a_collaboration():
    # A second search costs another 100 units and settles too few songs to pay for it.
    soundtrack = spotify(
        "Quiet Harbor", "Mira Solis", album="The Long Summer (Original Soundtrack)"
    )
    assert search_queries(soundtrack) == ["Mira Solis - Quiet Harbor"]
    duet = spotify("Glass House", "Tomas Reyes", "Ivy Lane")
    assert search_queries(duet) == ["Tomas Reyes - Glass House"]


def test_it_searches_youtube_for_the_version_of_a_live_track():
    queries = search_queries(spotify("Paper Lanterns - Live", "Mira Solis"))
    assert queries[0] == "Mira Solis - Paper Lanterns live"


def test_it_never_sends_more_than_three_queries():
    for track in [
        video("Mira Solis - Paper Lanterns", "Mira Solis", isrc="QZABC2400001"),
        spotify("Glass House", "Tomas Reyes", "Ivy Lane", album="Houses"),
    ]:
        queries = search_queries(track)
        assert 1 <= len(queries) <= 3
        assert len(set(queries)) == len(queries)


def test_a_very_long_title_makes_short_queries_that_end_at_a_word():
    title = "Endless " * 1250  # 10,000 characters
    for source in (spotify(title, "Mira Solis"), video(f"Mira Solis - {title}", "Mira Solis")):
        queries = search_queries(source)
        assert queries and all(len(q) <= 200 for q in queries)
        assert all(q.split()[-1].strip('"') in ("Endless", "Solis") for q in queries)
        assert all(q.count('"') % 2 == 0 for q in queries)  # no phrase left open
