"""The platform client for a connection: the one interface the sync uses."""

from __future__ import annotations

from typing import Protocol

from platforms.models import Connection
from platforms.types import Platform, PlaylistEntry, PlaylistInfo, Track


class PlatformClient(Protocol):
    platform: Platform
    connection: Connection

    def account(self) -> tuple[str, str]: ...
    def list_playlists(self) -> list[PlaylistInfo]: ...
    def list_playlist_items(self, playlist_id: str) -> list[PlaylistEntry]: ...
    def liked_version(self) -> str: ...
    def list_liked(self) -> list[PlaylistEntry]: ...
    def get_tracks(self, ids: list[str]) -> list[Track]: ...
    def search(self, query: str, *, limit: int = 10) -> list[Track]: ...
    def create_playlist(self, *, name: str, description: str = "") -> PlaylistInfo: ...
    def add_items(
        self, playlist_id: str, track_ids: list[str], *, position: int | None = None
    ) -> list[str]: ...
    def remove_items(self, playlist_id: str, entries: list[PlaylistEntry]) -> None: ...
    def move(self, playlist_id: str, entry: PlaylistEntry, *, to_index: int) -> None: ...
    def like(self, track_ids: list[str]) -> list[str]: ...
    def unlike(self, entries: list[PlaylistEntry]) -> None: ...


# How many items one write call carries: Spotify batches playlist writes by 100 and
# library writes by 40; YouTube inserts one video per call.
WRITE_BATCH = {Platform.SPOTIFY: 100, Platform.YOUTUBE: 1}
LIBRARY_BATCH = {Platform.SPOTIFY: 40, Platform.YOUTUBE: 1}
# A YouTube playlist holds at most this many items.
PLAYLIST_LIMIT = {Platform.SPOTIFY: 10_000, Platform.YOUTUBE: 5_000}
# The longest playlist name each accepts: YouTube refuses a longer title; Spotify's own
# apps stop at 100 characters.
PLAYLIST_NAME_LIMIT = {Platform.SPOTIFY: 100, Platform.YOUTUBE: 150}


def client_for(connection: Connection) -> PlatformClient:
    if connection.platform == Platform.SPOTIFY:
        from platforms.spotify.client import SpotifyClient

        return SpotifyClient(connection)
    from platforms.youtube.client import YouTubeClient

    return YouTubeClient(connection)
