"""Reading the sandbox's own state, to assert what really ended up on each platform."""

from __future__ import annotations


def spotify_playlist_ids(sandbox, playlist_id: str) -> list[str]:
    with sandbox.state.lock:
        entries = sandbox.state.spotify.playlists[playlist_id].entries
        return [e.uri.rsplit(":", 1)[-1] for e in entries if not e.is_local]


def youtube_playlist_ids(sandbox, playlist_id: str) -> list[str]:
    with sandbox.state.lock:
        return [item.video_id for item in sandbox.state.youtube.playlists[playlist_id].items]


def youtube_playlists_named(sandbox, owner: str, prefix: str) -> dict[str, str]:
    with sandbox.state.lock:
        return {
            p.title: p.id
            for p in sandbox.state.youtube.playlists.values()
            if p.owner == owner and p.title.startswith(prefix)
        }


def stranger_video(sandbox, exclude: list[str]) -> str:
    """A public video that is not in ``exclude``: something a person adds by hand."""
    with sandbox.state.lock:
        for video in sandbox.state.youtube.videos.values():
            if video.status == "public" and video.id not in exclude:
                return video.id
    raise AssertionError("the sandbox has no other public video")
