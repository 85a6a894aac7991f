"""The matcher: which candidate is the same recording, or none. Examples are made up."""

from __future__ import annotations

import importlib.util
import json
from io import StringIO

import pytest
from django.core.management import call_command

from platforms.types import Platform, Track
from syncing.matching import (
    ACCEPT_THRESHOLD,
    REVIEW_THRESHOLD,
    match,
    normalized_key,
)

HAS_TRANSLITERATION = importlib.util.find_spec("anyascii") is not None


def spotify(title: str, *artists: str, album: str = "", duration_ms: int | None = None,
            isrc: str = "") -> Track:  # fmt: skip
    return Track(
        platform=Platform.SPOTIFY,
        platform_id=f"sp-{title}-{artists}",
        title=title,
        artists=artists,
        album=album,
        duration_ms=duration_ms,
        isrc=isrc,
    )


def video(title: str, channel: str = "", duration_ms: int | None = None, isrc: str = "") -> Track:
    return Track(
        platform=Platform.YOUTUBE,
        platform_id=f"yt-{title}-{channel}",
        title=title,
        channel=channel,
        duration_ms=duration_ms,
        isrc=isrc,
    )


LANTERNS = spotify("Paper Lanterns", "Mira Solis", album="Harbor Lights", duration_ms=214_000)
OTHER_SONG = video("Mira Solis - Quiet Harbor (Official Video)", "MiraSolisVEVO")
SAME_TITLE_OTHER_ARTIST = video("Benny Okafor - Paper Lanterns (Official Audio)", "Benny Okafor")


def picked(source: Track, candidates: list[Track]) -> Track | None:
    result = match(source, candidates)
    return None if result.choice is None else candidates[result.choice]


def assert_title_read_whole(song: Track, right: Track, other: Track) -> None:
    """``right`` is picked over ``other`` because its title agrees fully, not nearly."""
    result = match(song, [other, right])
    assert result.choice == 1
    assert "title 1.00" in result.reasons


# --- reading video titles -------------------------------------------------------------


def test_it_matches_artist_dash_title_with_noise_in_brackets():
    right = video("Mira Solis - Paper Lanterns (Official Video) [HD]", "Mira Solis")
    result = match(LANTERNS, [OTHER_SONG, right, SAME_TITLE_OTHER_ARTIST])
    assert result.choice == 1
    assert result.confidence >= ACCEPT_THRESHOLD
    assert any("artist" in r for r in result.reasons)


def test_it_reads_title_pipe_artist():
    right = video("Paper Lanterns | Mira Solis | Harbor Lights Tour Edition", "Lantern Records")
    assert picked(LANTERNS, [SAME_TITLE_OTHER_ARTIST, right]) is right


def test_it_reads_a_title_in_japanese_corner_brackets():
    song = spotify("夜明けの街", "Aoi Haruka")
    right = video("Aoi Haruka「夜明けの街」Music Video", "Aoi Haruka Official")
    wrong = video("Aoi Haruka「星の庭」Music Video", "Aoi Haruka Official")
    assert picked(song, [wrong, right]) is right


@pytest.mark.parametrize(
    ("song", "right", "other"),
    [
        pytest.param(
            spotify("Night Swim (Japanese Ver.)", "Harbor Kids"),
            video('Harbor Kids "Night Swim (Japanese Ver.)" M/V', "Lantern Entertainment"),
            video('Harbor Kids "Slow Tide" M/V', "Lantern Entertainment"),
            id="a quoted title that holds a bracket",
        ),
        # Latin next to Japanese outside quotes usually gives a name twice ("陳明 Ming
        # Chen"); inside 『』 it is one title.
        pytest.param(
            spotify("NIGHTモード", "Aoi Haruka"),
            video("青井はるか『NIGHTモード』Music Video", "Aoi Haruka Official"),
            video("青井はるか『星の庭』Music Video", "Aoi Haruka Official"),
            id="a quoted title mixing scripts",
        ),
        pytest.param(
            spotify("Night Drive (Part II) Broken Down", "Mira Solis"),
            video("Mira Solis - Night Drive (Part II) Broken Down (Official Video)", "Mira Solis"),
            video("Mira Solis - Night Drive (Part I) Broken Down (Official Video)", "MS"),
            id="a part number in the middle of a spotify title, where it stands",
        ),
    ],
)
def test_a_title_is_read_whole(song: Track, right: Track, other: Track):
    assert_title_read_whole(song, right, other)


def test_a_composer_work_and_movement_meet_spotifys_work_and_movement():
    # Classical uploads write "Composer: Work - Movement", Spotify "Work: Movement"; the
    # composer's surname alone names the composer.
    movement = spotify("Harbor Suite, Op. 12: III. Slow Tide", "Johanna Keller")
    right = video("Keller: Harbor Suite, Op. 12 - III. Slow Tide", "Orchestre Lumiere - Topic")
    other = video("Keller: Harbor Suite, Op. 12 - II. Night Drive", "Orchestre Lumiere - Topic")
    assert_title_read_whole(movement, right, other)
    assert match(right, [movement]).choice == 0


def test_it_matches_titles_written_in_the_same_non_latin_script():
    song = spotify("봄날의 기억", "한결")
    right = video("한결 - 봄날의 기억 (Official MV)", "한결 Official")
    wrong = video("한결 - 겨울 바다 (Official MV)", "한결 Official")
    assert picked(song, [wrong, right]) is right


@pytest.mark.skipif(not HAS_TRANSLITERATION, reason="anyascii is not installed")
def test_it_transliterates_cyrillic_to_meet_a_latin_upload():
    song = spotify("Зимний вечер", "Лена Орлова")
    right = video("Lena Orlova - Zimnii vecher (Official Video)", "Lena Orlova")
    assert picked(song, [OTHER_SONG, right]) is right


def test_it_folds_case_and_accents():
    song = spotify("Dança da Chuva", "João Brisa")
    right = video("JOAO BRISA - DANCA DA CHUVA (CLIPE OFICIAL)", "Joao Brisa")
    assert picked(song, [right]) is right


@pytest.mark.parametrize(
    ("spotify_title", "video_title"),
    [
        ("Same Old Bullshit", "Mira Solis - Same Old Bulls**t (Official Video)"),
        ("Sh*t Happens", "Mira Solis - Shit Happens"),
        ("Motherf**ker in the Rain", "Mira Solis - Motherfucker in the Rain"),
    ],
)
def test_a_starred_out_swear_word_meets_the_word_printed_whole(spotify_title, video_title):
    song = spotify(spotify_title, "Mira Solis")
    right = video(video_title, "Mira Solis")
    result = match(song, [SAME_TITLE_OTHER_ARTIST, right])
    assert result.choice == 1
    assert "title 1.00" in result.reasons


def test_a_starred_word_that_is_no_swear_word_is_left_alone():
    # "L*ve" could be any word: it does not become one it happens to fit.
    assert (
        normalized_key(video("Mira Solis - L*ve Letters", "Mira Solis"))
        == "mira solis|l ve letters"
    )


@pytest.mark.parametrize(
    "noise",
    [
        "(Video Oficial)",
        "(Clip Officiel)",
        "[Offizielles Musikvideo]",
        "(Videoclip)",
        "(Video Musical)",
        "(Lyric Video)",
        "(Letra)",
        "(Official Visualizer)",
        "(Audio)",
        "(Remastered 2009)",
        "[4K]",
    ],
)
def test_it_ignores_noise_words_in_many_languages(noise):
    right = video(f"Mira Solis - Paper Lanterns {noise}", "Mira Solis")
    result = match(LANTERNS, [right])
    assert result.choice == 0
    assert result.confidence >= 0.9


def test_it_ignores_trailing_noise_words_outside_brackets():
    right = video("Mira Solis - Paper Lanterns Official Video Lyric Song", "Fan Uploads")
    assert picked(LANTERNS, [right]) is right


def test_it_reads_a_title_with_the_artist_and_no_separator():
    right = video("mira solis paper lanterns (music video) 2011", "oldtapes77")
    assert picked(LANTERNS, [OTHER_SONG, right]) is right


# --- artists: guests, collaborations, channels -----------------------------------------


def test_it_finds_the_artist_as_a_guest_in_a_feat_clause():
    song = spotify("Northern Lights (feat. Kai Varga)", "Kai Varga")
    right = video("Della Moor ft. Kai Varga - Northern Lights (Lyric Video)", "Della Moor")
    assert picked(song, [right]) is right


def test_it_finds_a_guest_named_with_with_or_featuring():
    song = spotify("Glass House (with Ivy Lane)", "Tomas Reyes")
    right = video("Tomas Reyes featuring Ivy Lane - Glass House", "TomasReyesVEVO")
    wrong = video("Tomas Reyes - Stone House (Official Video)", "TomasReyesVEVO")
    assert picked(song, [wrong, right]) is right


def test_it_matches_a_collaboration_uploaded_under_the_other_artist():
    song = spotify("Glass House", "Tomas Reyes", "Ivy Lane")
    right = video("Ivy Lane, Tomas Reyes - Glass House (Official Video)", "IvyLaneVEVO")
    assert picked(song, [right]) is right


def test_it_reads_the_artist_from_a_topic_channel():
    song = spotify("Slow Tide", "Harbor Kids")
    right = video("Slow Tide", "Harbor Kids - Topic")
    cover = video("Slow Tide", "Dana Wells - Topic")
    result = match(song, [cover, right])
    assert result.choice == 1
    assert result.ranked[-1].track is cover


def test_it_reads_the_artist_from_a_vevo_channel():
    right = video("Paper Lanterns (Official Video)", "MiraSolisVEVO")
    assert picked(LANTERNS, [SAME_TITLE_OTHER_ARTIST, right]) is right


def test_a_vevo_channel_that_dropped_an_accented_letter_is_still_the_artist():
    song = spotify("Silver Rivers", "Orchestre Lumière")
    right = video('Orchestre Lumière "Silver Rivers" (Official Video)', "orchestrelumireVEVO")
    result = match(song, [right])
    assert result.choice == 0
    assert not any("also by" in r for r in result.reasons), result.reasons


def test_it_rejects_the_same_title_by_another_artist():
    result = match(LANTERNS, [SAME_TITLE_OTHER_ARTIST, OTHER_SONG])
    assert result.choice is None


def test_it_rejects_another_song_by_the_same_artist():
    result = match(LANTERNS, [OTHER_SONG])
    assert result.choice is None


def test_it_rejects_the_next_part_of_a_numbered_song():
    song = spotify("Night Drive Pt. 2", "Mira Solis")
    wrong = video("Mira Solis - Night Drive Pt. 3 (Official Video)", "MiraSolisVEVO")
    assert match(song, [wrong]).choice is None


# --- versions ----------------------------------------------------------------------


def test_it_prefers_the_original_over_a_cover():
    cover = video("Paper Lanterns - Mira Solis (Acoustic Cover by Jonah Pike)", "Jonah Pike")
    original = video("Mira Solis - Paper Lanterns (Official Audio)", "Mira Solis")
    assert picked(LANTERNS, [cover, original]) is original


def test_it_rejects_a_cover_when_no_original_is_offered():
    cover = video("Paper Lanterns (Mira Solis cover)", "Jonah Pike")
    result = match(LANTERNS, [cover])
    assert result.choice is None
    assert "candidate is cover" in result.ranked[0].reasons


def test_it_reads_a_remake_or_a_tribute_as_a_cover():
    """Another singer's "(Mira Solis Remake)" or "A Tribute to Mira Solis" is not her song."""
    remake = video("Jonah Pike - Paper Lanterns (Mira Solis Remake)", "Jonah Pike")
    tribute = video("Lanterns: A Tribute to Mira Solis - Paper Lanterns - Ivy Lane", "Tribute Hall")
    for other in (remake, tribute):
        result = match(LANTERNS, [other])
        assert result.choice is None
        assert "candidate is cover" in result.ranked[0].reasons
    original = video("Mira Solis - Paper Lanterns (Official Audio)", "Mira Solis")
    assert picked(LANTERNS, [remake, tribute, original]) is original


def test_it_accepts_a_cover_when_the_source_is_one():
    song = spotify("Paper Lanterns - Cover", "Jonah Pike")
    cover = video("Jonah Pike - Paper Lanterns (Mira Solis Cover)", "Jonah Pike")
    assert picked(song, [cover]) is cover


def test_it_rejects_a_karaoke_version():
    karaoke = video("Mira Solis - Paper Lanterns (Karaoke Version)", "Sing Along Hits")
    assert match(LANTERNS, [karaoke]).choice is None


def test_a_sing_along_video_is_the_original_recording_with_lyrics_not_karaoke():
    song = spotify('Lantern Song - From "The Long Summer"', "Mira Solis", album="The Long Summer")
    sing_along = video('Mira Solis - Lantern Song (From "The Long Summer"/Sing-Along)', "SolisVEVO")
    karaoke = video("Mira Solis - Lantern Song (Karaoke Version)", "SolisVEVO")

    assert picked(song, [karaoke, sing_along]) is sing_along
    assert match(song, [karaoke]).choice is None


def test_it_rejects_a_nightcore_version():
    nightcore = video("Nightcore - Paper Lanterns (Mira Solis)", "Nightcore Dreams")
    assert match(LANTERNS, [nightcore]).choice is None


def test_it_rejects_a_sped_up_version():
    sped = video("Mira Solis - Paper Lanterns (sped up)", "fastsongs")
    assert match(LANTERNS, [sped]).choice is None


def test_it_rejects_a_slowed_and_reverb_version():
    slowed = video("Mira Solis - Paper Lanterns (slowed + reverb)", "late night edits")
    assert match(LANTERNS, [slowed]).choice is None


def test_it_rejects_an_instrumental():
    instrumental = video("Mira Solis - Paper Lanterns (Instrumental)", "Mira Solis")
    assert match(LANTERNS, [instrumental]).choice is None


def test_it_rejects_a_remix_of_a_studio_track():
    remix = video("Mira Solis - Paper Lanterns (Kovalenko Remix)", "Mira Solis")
    assert match(LANTERNS, [remix]).choice is None


@pytest.mark.parametrize(
    ("title", "channel", "said"),
    [
        ("Mira Solis - Paper Lanterns (Official Teaser)", "MiraSolisVEVO", "excerpt"),
        ("Mira Solis - Paper Lanterns #shorts", "Mira Solis", "excerpt"),
        ("Mira Solis - Paper Lanterns [1 Hour Loop]", "Loop Station", "loop"),
        ("Mira Solis - Paper Lanterns (Reaction)", "Dad Reacts", "reaction"),
        ("Mira Solis - Paper Lanterns (Piano Tutorial)", "Easy Keys", "lesson"),
        ("Mira Solis - Paper Lanterns (Behind The Scenes)", "MiraSolisVEVO", "behind the scenes"),
        ("Mira Solis - Paper Lanterns (Bass Boosted)", "Bass Kingdom", "bass boosted"),
        ("Mira Solis - Paper Lanterns (Chopped & Screwed)", "Slow Lane", "slowed"),
        ("Mira Solis - Paper Lanterns (Acapella)", "Vocal Stems", "a cappella"),
        ("Mira Solis - Paper Lanterns (Demo)", "Mira Solis", "demo"),
        ("Mira Solis - Paper Lanterns (Piano Version)", "MiraSolisVEVO", "arrangement"),
        ("Mira Solis - Paper Lanterns (Stripped)", "MiraSolisVEVO", "acoustic"),
    ],
)
def test_it_rejects_an_upload_that_is_not_the_recording_itself(title, channel, said):
    result = match(LANTERNS, [video(title, channel)])
    assert result.choice is None
    assert f"candidate is {said}" in result.reasons


@pytest.mark.parametrize(
    "title",
    [
        "Mira Solis - Paper Lanterns (Drum Cover)",
        "Mira Solis - Paper Lanterns (AI Cover)",
        "Mira Solis - Paper Lanterns (Parody)",
        "Mira Solis - Paper Lanterns (Music Box Version)",
    ],
)
def test_a_cover_the_uploader_plays_is_not_the_artists_recording(title):
    # Named first in the title, Mira Solis is whose song it is, not who plays it here.
    result = match(LANTERNS, [video(title, "Bedroom Tapes")])
    assert result.choice is None
    assert "candidate is cover" in result.reasons


def test_a_spoken_commentary_track_is_not_the_song():
    commentary = spotify("Paper Lanterns - Track by Track Commentary", "Mira Solis")
    studio = video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    assert match(commentary, [studio]).choice is None
    assert match(studio, [commentary]).choice is None


def test_a_version_the_source_is_too_is_accepted():
    piano = spotify("Paper Lanterns - Piano Version", "Mira Solis")
    studio = video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    piano_video = video("Mira Solis - Paper Lanterns (Piano Version)", "MiraSolisVEVO")
    assert picked(piano, [studio, piano_video]) is piano_video
    demo = spotify("Paper Lanterns - Demo", "Mira Solis")
    assert picked(demo, [video("Mira Solis - Paper Lanterns (Demo)", "Mira Solis")]) is not None


def test_an_a_cappella_intro_is_part_of_the_music_video_not_a_version():
    video_with_intro = video("Mira Solis - Paper Lanterns {Acapella Intro} [Music Video]", "fan")
    assert picked(LANTERNS, [video_with_intro]) is video_with_intro


def test_a_lyrics_and_chords_upload_is_the_recording():
    # Worship and singalong channels show the chords over the original recording.
    chords = video("Mira Solis - Paper Lanterns (Lyrics and Chords)", "MiraSolisVEVO")
    assert picked(LANTERNS, [chords]) is chords


@pytest.mark.parametrize("live", ["(Live)", "(En Vivo)", "(Ao Vivo)", "[Live at Wembley 2019]"])
def test_it_rejects_a_live_version_of_a_studio_track(live):
    live_video = video(f"Mira Solis - Paper Lanterns {live}", "MiraSolisVEVO")
    result = match(LANTERNS, [live_video])
    assert result.choice is None
    # Still worth showing a person, who may want the live take.
    assert result.confidence >= REVIEW_THRESHOLD


def test_it_accepts_a_live_version_when_the_source_is_live():
    song = spotify("Paper Lanterns - Live at Wembley", "Mira Solis")
    studio = video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    live = video("Mira Solis - Paper Lanterns (Live at Wembley)", "MiraSolisVEVO")
    assert picked(song, [studio, live]) is live


def test_it_accepts_the_version_a_track_has_from_its_album():
    song = spotify("Paper Lanterns", "Mira Solis", album="Unplugged in Lisbon")
    live = video("Mira Solis - Paper Lanterns (Unplugged)", "Mira Solis")
    assert picked(song, [live]) is live


@pytest.mark.parametrize("title", ["Live Forever", "Chain Reaction", "Trailer Park", "The Lesson"])
def test_it_does_not_take_a_title_word_for_a_version(title):
    song = spotify(title, "Mira Solis")
    right = video(f"Mira Solis - {title} (Official Video)", "MiraSolisVEVO")
    assert picked(song, [right]) is right
    assert picked(right, [song]) is song


def test_a_version_its_album_announces_is_the_track():
    # A track of the album "Stripped" is what the album says, titled so or not.
    song = spotify("Glass House", "Mira Solis", album="Stripped")
    stripped = video("Mira Solis - Glass House (Stripped)", "MiraSolisVEVO")
    assert picked(song, [stripped]) is stripped


def test_it_matches_a_remaster_to_the_original_upload():
    song = spotify("Paper Lanterns - 2015 Remaster", "Mira Solis")
    right = video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    assert picked(song, [OTHER_SONG, right]) is right


def test_it_accepts_either_a_remaster_or_the_original_beside_it():
    remaster = video("Mira Solis - Paper Lanterns (Remastered 2015)", "Mira Solis - Topic")
    original = video("Mira Solis - Paper Lanterns (1998)", "Mira Solis")
    result = match(LANTERNS, [remaster, original])
    assert result.choice in (0, 1)
    assert result.ranked[0].confidence == result.ranked[1].confidence


# --- ISRC and duration --------------------------------------------------------------


def test_it_takes_equal_isrcs_as_decisive():
    source = spotify("Paper Lanterns", "Mira Solis", isrc="QZABC2400001")
    same_recording = spotify("Paper Lanterns (Radio Edit)", "Mira Solis feat. Nobody",
                             isrc="qzabc2400001")  # fmt: skip
    result = match(source, [OTHER_SONG, same_recording])
    assert result.choice == 1
    assert result.confidence == 1.0
    assert result.reasons == ("isrc equal",)


def test_it_penalises_a_duration_that_disagrees():
    near = video("Mira Solis - Paper Lanterns", "Mira Solis", duration_ms=216_000)
    far = video("Mira Solis - Paper Lanterns", "Mira Solis", duration_ms=290_000)
    result = match(LANTERNS, [far, near])
    assert result.choice == 1
    assert result.ranked[1].confidence < result.ranked[0].confidence
    assert any("duration differs" in r for r in result.ranked[1].reasons)
    assert "duration agrees" in result.ranked[0].reasons


def test_it_does_not_need_a_youtube_duration():
    right = video("Mira Solis - Paper Lanterns", "Mira Solis")
    assert match(LANTERNS, [right]).confidence >= 0.9


# --- YouTube to Spotify ------------------------------------------------------------


def test_it_matches_a_video_to_its_spotify_track():
    source = video("Mira Solis - Paper Lanterns (Official Music Video)", "MiraSolisVEVO")
    candidates = [
        spotify("Quiet Harbor", "Mira Solis"),
        spotify("Paper Lanterns", "Benny Okafor"),
        spotify("Paper Lanterns", "Mira Solis", album="Harbor Lights"),
    ]
    result = match(source, candidates)
    assert result.choice == 2


def test_it_matches_a_topic_video_to_spotify():
    source = video("Slow Tide", "Harbor Kids - Topic")
    candidates = [spotify("Slow Tide", "Dana Wells"), spotify("Slow Tide", "Harbor Kids")]
    assert match(source, candidates).choice == 1


def test_it_rejects_a_spotify_karaoke_track_for_an_original_video():
    source = video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    karaoke = spotify("Paper Lanterns (Karaoke Version)", "Party Hits Karaoke")
    also_karaoke = spotify("Paper Lanterns - Originally Performed by Mira Solis [Karaoke]",
                           "Mira Solis Tribute Band")  # fmt: skip
    assert match(source, [karaoke, also_karaoke]).choice is None


def test_it_matches_a_sped_up_video_only_to_a_sped_up_track():
    source = video("Mira Solis - Paper Lanterns (Sped Up)", "Mira Solis")
    studio = spotify("Paper Lanterns", "Mira Solis")
    sped = spotify("Paper Lanterns - Sped Up", "Mira Solis")
    assert picked(source, [studio, sped]) is sped
    assert match(source, [studio]).choice is None


def test_it_says_no_match_for_a_video_of_another_song():
    source = video("Mira Solis - Quiet Harbor (Official Video)", "MiraSolisVEVO")
    result = match(source, [spotify("Paper Lanterns", "Mira Solis")])
    assert result.choice is None
    assert result.reasons[0] == "below threshold"


# --- results -------------------------------------------------------------------------


def test_it_ranks_every_candidate_best_first_with_reasons():
    right = video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    candidates = [OTHER_SONG, SAME_TITLE_OTHER_ARTIST, right]
    result = match(LANTERNS, candidates)
    assert [c.index for c in result.ranked][0] == 2
    assert sorted(c.index for c in result.ranked) == [0, 1, 2]
    confidences = [c.confidence for c in result.ranked]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 and c_reasons for c, c_reasons in
               ((s.confidence, s.reasons) for s in result.ranked))  # fmt: skip


def test_it_answers_no_match_with_no_candidates():
    result = match(LANTERNS, [])
    assert result.choice is None
    assert result.ranked == []


def test_the_review_threshold_is_below_the_accept_threshold():
    assert 0.0 < REVIEW_THRESHOLD < ACCEPT_THRESHOLD < 1.0


def test_a_topic_upload_and_its_spotify_track_share_a_cache_key():
    assert normalized_key(spotify("Slow Tide (feat. Ivy Lane)", "Harbor Kids")) == (
        normalized_key(video("Slow Tide", "Harbor Kids - Topic"))
    )
    assert normalized_key(LANTERNS) == normalized_key(
        video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    )


def test_the_cache_key_keeps_the_version():
    live = normalized_key(spotify("Paper Lanterns - Live", "Mira Solis"))
    assert live != normalized_key(LANTERNS)
    assert live.endswith("|live")


# --- manage.py evaluate_matcher ------------------------------------------------------


def _case(case_id: str, direction: str, source: dict, candidates: list[dict], answers: list[int]):
    return {
        "id": case_id,
        "direction": direction,
        "source": source,
        "candidates": candidates,
        "answers": answers,
    }


def _sp(title: str, artist: str) -> dict:
    return {"platform": "spotify", "title": title, "artists": [artist], "album": None,
            "album_type": "single", "duration_ms": 200_000}  # fmt: skip


def _yt(title: str, channel: str) -> dict:
    return {"platform": "youtube", "title": title, "channel": channel, "duration_ms": None}


def test_evaluate_matcher_prints_the_figures_and_writes_the_choices(tmp_path):
    cases = [
        _case("s2y-1", "spotify_to_youtube", _sp("Paper Lanterns", "Mira Solis"),
              [_yt("Mira Solis - Quiet Harbor", "Mira Solis"),
               _yt("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")], [1]),
        # A no-match case: the only candidate is another song.
        _case("s2y-2", "spotify_to_youtube", _sp("Slow Tide", "Harbor Kids"),
              [_yt("Harbor Kids - Fast Water", "Harbor Kids")], []),
        # The answers say 0 but the matcher must not peek: it picks the real song, 1.
        _case("y2s-3", "youtube_to_spotify", _yt("Slow Tide", "Harbor Kids - Topic"),
              [_sp("Fast Water", "Harbor Kids"), _sp("Slow Tide", "Harbor Kids")], [0]),
    ]  # fmt: skip
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    out_path = tmp_path / "choices.jsonl"
    out = StringIO()

    call_command("evaluate_matcher", str(path), "--choices", str(out_path), stdout=out)

    printed = out.getvalue()
    s2y = next(line for line in printed.splitlines() if line.startswith("spotify_to_youtube"))
    y2s = next(line for line in printed.splitlines() if line.startswith("youtube_to_spotify"))
    # precision, recall, F1 and false accepts (0 of 1 no-match case).
    assert s2y.split()[1:5] == ["2", "1.0000", "1.0000", "1.0000"]
    assert "0.00% (0/1)" in s2y
    assert y2s.split()[1:5] == ["1", "0.0000", "0.0000", "0.0000"]
    assert "cases per second" in printed
    choices = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [(c["id"], c["choice"]) for c in choices] == [("s2y-1", 1), ("s2y-2", None),
                                                         ("y2s-3", 1)]  # fmt: skip
    assert all(0.0 <= c["confidence"] <= 1.0 for c in choices)


def test_it_does_not_read_the_artists_name_as_the_title():
    song = spotify("Baby", "MiraBaby")
    other = video("MiraBaby - Moonrise (Official Video)", "MiraBaby")
    assert match(song, [other]).choice is None


def test_it_does_not_read_a_soundtracks_name_as_the_title():
    song = spotify("Long Summer", "Mira Solis", album="Long Summer (Original Soundtrack)")
    other = video("Mira Solis - Theme | Long Summer (Original Soundtrack)", "SoundtracksVEVO")
    assert match(song, [other]).choice is None


def test_it_ignores_a_track_number_before_the_title():
    right = video("2. Paper Lanterns - Mira Solis", "Mira Solis")
    assert picked(LANTERNS, [right]) is right


def test_it_compares_titles_without_their_spaces_and_dashes():
    song = spotify("L-O-V-E", "Mira Solis")
    right = video("Mira Solis- LOVE", "oldtapes77")
    assert picked(song, [right]) is right


def test_it_rejects_a_lofi_version():
    lofi = video("Mira Solis - Paper Lanterns (lofi remix)", "chill beats")
    assert match(LANTERNS, [lofi]).choice is None


def test_it_tells_remixes_by_different_people_apart():
    song = spotify("Paper Lanterns - Kovalenko Remix", "Mira Solis")
    theirs = video("Mira Solis - Paper Lanterns (Ortega Remix)", "Mira Solis")
    ours = video("Mira Solis - Paper Lanterns (Kovalenko Remix)", "Mira Solis")
    assert picked(song, [theirs, ours]) is ours
    assert match(song, [theirs]).choice is None


def test_it_keeps_a_title_that_starts_with_from():
    song = spotify("From Here to Harbor", "Mira Solis")
    right = video("Mira Solis - From Here to Harbor (From 'Long Summer')", "MiraSolisVEVO")
    assert picked(song, [right]) is right


def test_it_does_not_find_a_title_inside_the_artists_name():
    song = spotify("Forever", "Harbor Kids Forever")
    other = video("Harbor Kids Forever - Night Drive (Official Video)", "HarborKidsForeverVEVO")
    assert match(song, [other]).choice is None


def test_it_tells_a_part_two_in_roman_numerals_from_the_first():
    song = spotify("Alone", "Mira Solis")
    part_two = video("Mira Solis & Kai Varga - Alone, Pt. II", "Mira Solis")
    assert match(song, [part_two]).choice is None


def test_it_knows_a_band_by_its_initials():
    dotted = spotify("Paper Lanterns", "M.S.E.")
    long_name = spotify("Paper Lanterns", "Mira Solis Ensemble")
    initials = video("MSE - Paper Lanterns (Official Video)", "RetroUploads")

    assert picked(dotted, [initials]) is initials
    assert picked(long_name, [initials]) is initials
    # Initials name the artist, not the song: another title is still another song.
    assert match(long_name, [video("MSE - Quiet Harbor", "RetroUploads")]).choice is None
    # Two words are too few to make initials worth trusting.
    assert (
        match(spotify("Paper Lanterns", "Mira Solis"), [video("MS - Paper Lanterns", "x")]).choice
        is None
    )


def test_it_reads_a_part_number_however_it_is_written():
    # "Pt. II", "Part Two", "part 2": one part, however each side spells it.
    song = spotify("Night Drive, Pt. II", "Mira Solis")
    spelled = video("Mira Solis - Night Drive, Part Two (Official Video)", "MiraSolisVEVO")
    other_part = video("Mira Solis - Night Drive, Part Three (Official Video)", "MiraSolisVEVO")

    assert picked(song, [other_part, spelled]) is spelled
    assert match(song, [other_part]).choice is None


def test_it_keeps_a_part_number_in_brackets_as_part_of_the_title():
    song = spotify("Night Drive (Pt. 2) [feat. Kai Varga]", "Mira Solis")
    right = video("Mira Solis ft. Kai Varga - Night Drive Part 2 (Official Video)", "MS")
    other_part = video("Mira Solis ft. Kai Varga - Night Drive Part 3 (Official Video)", "MS")

    assert picked(song, [other_part, right]) is right
    assert match(song, [other_part]).choice is None


def test_it_reads_a_version_word_written_outside_brackets():
    # "911 REMIX": the title is "911", and it is the remix (short titles show it most).
    upload = video("Mira Solis, Kai Varga - 911 REMIX (Video Oficial)", "Mira Solis")
    remix = spotify("911 (Remix)", "Mira Solis")
    studio = spotify("911", "Mira Solis")

    assert picked(remix, [upload]) is upload
    assert picked(upload, [studio, remix]) is remix
    result = match(studio, [upload])
    assert result.choice is None
    assert "candidate is remix" in result.ranked[0].reasons


def test_it_repairs_a_title_whose_accents_were_mangled_on_the_way():
    # UTF-8 read as Latin-1: "Mío" arrives as "MÃ\u00ado" (the í became two characters).
    song = spotify("Mío", "Lena Duarte")
    mangled = video("Lena Duarte - M\u00c3\u00ado", "LenaDuarteVEVO")

    assert picked(song, [mangled]) is mangled


def test_it_takes_cover_audio_for_album_art_not_a_cover():
    right = video("Mira Solis - Paper Lanterns (Cover Audio)", "MiraSolisVEVO")
    assert picked(LANTERNS, [right]) is right


def test_it_matches_a_cover_to_the_covering_artists_own_track():
    song = spotify("Paper Lanterns", "Jonah Pike")
    own_cover = video("Jonah Pike - Paper Lanterns (Mira Solis Cover)", "Jonah Pike")
    assert picked(song, [own_cover]) is own_cover
    source = video("Jonah Pike - Paper Lanterns (Mira Solis Cover)", "Jonah Pike")
    original = spotify("Paper Lanterns", "Mira Solis")
    cover_track = spotify("Paper Lanterns", "Jonah Pike")
    assert picked(source, [original, cover_track]) is cover_track
    assert match(source, [original]).choice is None


def test_a_cover_named_after_the_uploading_channel_is_the_channels_recording():
    # The original artist leads the title; the bracket and the channel name the cover's
    # performer, so the video is Bedroom Tapes' recording, not Mira Solis's.
    cover = video(
        "Paper Lanterns - Mira Solis (Bedroom Tapes feat. Ana Reyes acoustic cover)",
        "Bedroom Tapes",
    )
    assert match(LANTERNS, [cover]).choice is None
    their_track = spotify("Paper Lanterns", "Bedroom Tapes", album="Cover Sessions")
    assert picked(cover, [LANTERNS, their_track]) is their_track


def test_an_acoustic_cover_matches_the_covering_artists_track_of_it():
    # "acoustic" says how Bedroom Tapes played its cover, not that it is another version
    # of the track they put on Spotify.
    cover = video(
        "Paper Lanterns - Mira Solis (Bedroom Tapes acoustic cover) on Spotify", "Bedroom Tapes"
    )
    on_a_covers_album = spotify("Paper Lanterns", "Bedroom Tapes", album="Cover Sessions, Vol. 2")
    as_a_single = spotify("Paper Lanterns", "Bedroom Tapes", album="Paper Lanterns")

    assert picked(on_a_covers_album, [OTHER_SONG, cover]) is cover
    assert picked(as_a_single, [OTHER_SONG, cover]) is cover
    assert match(LANTERNS, [cover]).choice is None  # still not Mira Solis's recording


def test_a_version_bracket_is_not_a_short_form_of_an_uploaders_name():
    # An uploader calling itself "sped up tapes" makes its own sped-up edits; the
    # artist's own "(Sped Up)" video is not theirs.
    their_edit = spotify("Paper Lanterns - Sped Up Version", "sped up tapes")
    artists_own = video("Mira Solis - Paper Lanterns (Sped Up) [Lyric Video]", "Mira Solis")
    assert match(artists_own, [their_edit]).choice is None
    assert match(their_edit, [artists_own]).choice is None


def test_an_artists_re_recording_is_not_the_original_recording():
    original = video("Mira Solis - Paper Lanterns (Official Video)", "MiraSolisVEVO")
    redone = video("Mira Solis - Paper Lanterns (Mira's Version) [Re-Recorded]", "MiraSolisVEVO")
    new_recording = spotify("Paper Lanterns - Re-Recorded", "Mira Solis")

    assert picked(new_recording, [original, redone]) is redone
    assert match(new_recording, [original]).choice is None
    assert match(LANTERNS, [redone]).choice is None
    assert picked(redone, [LANTERNS, new_recording]) is new_recording


def test_an_album_named_inside_the_title_is_no_evidence():
    # Another singer's upload of a standard: the album "Winter" is in the song's title,
    # so every upload of that song "names" it.
    song = spotify("Home for Winter", "Mira Solis", album="Winter")
    other_singer = video("Benny Okafor - Home For Winter (Official Music Video)", "BennyOkaforVEVO")
    assert match(song, [other_singer]).choice is None


def test_an_album_inside_the_title_counts_when_the_video_names_it_apart():
    song = spotify("Alexander Lantern", "Cast of Lantern", album="Lantern (Cast Recording)")
    upload = video("Lantern: Alexander Lantern", "Broadway Clips")
    assert picked(song, [upload]) is upload


def test_it_does_not_take_a_title_word_for_a_remix_marker():
    song = spotify("Flip the Coin", "Mira Solis")
    right = video("Mira Solis - Flip the Coin (Official Video)", "MiraSolisVEVO")
    assert picked(song, [right]) is right


def test_it_rejects_a_cover_by_someone_else_that_names_the_original_artist():
    """ "Song - Original Artist | Cover by Someone" is Someone's recording, either way round."""
    original = Track(
        platform=Platform.SPOTIFY, platform_id="orig", title="Glass Harbour",
        artists=("The Quiet Pines",), album="Harbour", duration_ms=210_000,
    )  # fmt: skip
    cover = Track(
        platform=Platform.YOUTUBE, platform_id="cov",
        title="Glass Harbour - The Quiet Pines | Cover by Attic Strings", channel="Attic Strings",
    )  # fmt: skip
    assert match(original, [cover]).choice is None
    assert match(cover, [original]).choice is None
