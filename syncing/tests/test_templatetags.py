"""The row pieces every list of pairs and runs shows: names, statuses, counts, links."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from platforms.tests import library_builders as build
from syncing.models import Run

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load syncing_tags %}" + source).render(Context(context))


def test_a_pair_reads_source_arrow_target_and_says_when_the_target_is_still_to_make(alice):
    spotify, youtube = build.two_connected(alice)
    new = build.pair(alice, build.playlist(spotify, "Road trip"), target_name="Road trip copy")
    existing = build.pair(alice, build.playlist(spotify, "Gym"), build.playlist(youtube, "Gym YT"))

    assert render("{% pair_name pair %}", pair=new) == (
        '<span class="pair-name"><span class="plat plat-spotify">Spotify</span> '
        "<bdi>Road trip</bdi> "
        '<span aria-label="to">→</span> <span class="plat plat-youtube">YouTube</span> '
        '<bdi>Road trip copy</bdi> <span class="small muted">(new)</span></span>'
    )
    text = render("{% pair_name pair %}", pair=existing)
    assert "Gym YT" in text and "(new)" not in text


def test_a_two_way_pair_reads_with_a_two_way_arrow(alice):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "Road trip"), mode="two_way")

    text = render("{% pair_name pair %}", pair=pair)

    assert '<span aria-label="and">\u21c4</span>' in text
    assert "\u2192" not in text and "\u21c4" in str(pair)


def test_names_with_markup_are_shown_as_text(alice):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify, "<script>x</script>"), target_name='"><b>')

    text = render("{% pair_name pair %}", pair=pair)

    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "&quot;&gt;&lt;b&gt;" in text


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("succeeded", '<span class="tag tag-ok">Succeeded</span>'),
        ("partial", '<span class="tag tag-warn">Partial</span>'),
        ("failed", '<span class="tag tag-bad">Failed</span>'),
        ("cancelled", '<span class="tag">Cancelled</span>'),
        ("waiting", '<span class="tag tag-warn">Waiting</span>'),
        ("running", '<span class="tag tag-run">Running</span>'),
        ("queued", '<span class="tag tag-run">Queued</span>'),
    ],
)
def test_a_run_status_is_a_tag_whose_words_say_it(alice, status, shown):
    spotify, _ = build.two_connected(alice)
    run = build.run(build.pair(alice, build.playlist(spotify)), status=status)

    assert render("{% run_status run %}", run=run) == shown


def test_dry_runs_undos_and_retries_say_so_beside_the_status(alice):
    spotify, _ = build.two_connected(alice)
    run = build.run(
        build.pair(alice, build.playlist(spotify)), dry_run=True, trigger=Run.Trigger.UNDO
    )

    text = render("{% run_status run %}", run=run)

    assert text.endswith('<span class="tag">Dry run</span> <span class="tag">Undo</span>')


def test_counts_show_added_and_removed_always_and_the_rest_only_when_there_are_some(alice):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    quiet = build.run(pair, added=3, removed=0)
    busy = build.run(pair, added=1, removed=2, unmatched=4, unavailable=5, failed=6)

    assert render("{% run_counts run %}", run=quiet) == (
        '<span class="counts"><span title="added">+3</span> <span title="removed">−0</span></span>'
    )
    text = render("{% run_counts run %}", run=busy)
    assert "4 unmatched" in text and "5 unavailable" in text
    assert '<span class="text-bad">6 failed</span>' in text


def test_row_url_gives_what_url_gives(alice):
    spotify, _ = build.two_connected(alice)
    pair = build.pair(alice, build.playlist(spotify))
    run = build.run(pair)

    assert render("{% row_url 'syncing:pair' pair.pk %}", pair=pair) == reverse(
        "syncing:pair", args=[pair.pk]
    )
    assert render("{% row_url 'syncing:run' run.pk %}", run=run) == reverse(
        "syncing:run", args=[run.pk]
    )
