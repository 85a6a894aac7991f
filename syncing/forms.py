"""Forms of the sync pages. They only gather input; the services validate the pair."""

from __future__ import annotations

from typing import Any

from django import forms

from platforms.models import Collection, Platform
from platforms.selectors import collections_for_user, other_platform
from syncing.models import SyncPair
from syncing.services.pairs import playlist_name_fit

NEW_TARGET = "new"

MODE_HELP = {
    SyncPair.Mode.ADD_ONLY: "What is new in the source is added to the target; nothing is "
    "ever removed.",
    SyncPair.Mode.MIRROR: "The target follows the source: what the sync added and the source "
    "lost is removed. Songs you added to the target by hand stay unless you choose strict.",
    SyncPair.Mode.TWO_WAY: "Additions and removals on either side reach the other side, "
    "without duplicates and without losing anything nobody removed.",
}


class ModeSelect(forms.RadioSelect):
    """Radio buttons with each mode's one-line explanation under its label."""

    option_template_name = "syncing/widgets/mode_option.html"

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["explanation"] = MODE_HELP.get(value, "")
        return option


def _label(collection: Collection) -> str:
    if collection.kind == Collection.Kind.LIKED:
        return f"{collection.name} (liked songs)"
    if not collection.items_readable:
        return f"{collection.name} ({collection.item_count} songs, not readable by apps)"
    return f"{collection.name} ({collection.item_count} items)"


class PairSettingsForm(forms.Form):
    """What can change on an existing pair."""

    target_name = forms.CharField(
        label="Name of the new playlist",
        max_length=255,
        required=False,
        help_text="Used when the target is a new playlist (empty: the source's name); "
        "the first run creates it.",
    )
    mode = forms.ChoiceField(
        choices=SyncPair.Mode.choices, widget=ModeSelect, initial=SyncPair.Mode.ADD_ONLY
    )
    strict = forms.BooleanField(
        label="Strict: also remove songs added to the target by hand (mirror only)",
        required=False,
    )
    keep_order = forms.BooleanField(
        label="Keep the source's order",
        required=False,
        help_text=(
            "New songs go where the source has them. In a mirror, songs the source moves "
            "are moved too (on YouTube each move costs 50 units of the daily quota)."
        ),
    )
    keep_duplicates = forms.BooleanField(
        label="Keep duplicates (the same song twice in the source is added twice)",
        required=False,
        help_text="Add only and mirror only: two way keeps one copy of each song on both sides.",
    )
    schedule = forms.ChoiceField(
        choices=SyncPair.Schedule.choices,
        initial=SyncPair.Schedule.MANUAL,
        help_text="Manual pairs run when you press “Sync now”.",
    )
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)

    SETTINGS = ("target_name", "mode", "strict", "keep_order", "keep_duplicates", "schedule")

    def settings_values(self) -> dict[str, Any]:
        # A pair with a target has no "target_name" field: the playlist has its own name.
        names = [name for name in (*self.SETTINGS, "enabled") if name in self.fields]
        data = {name: self.cleaned_data[name] for name in names}
        if "target_name" in data:
            data["target_name"] = (data["target_name"] or "").strip()
        return data


class PairForm(PairSettingsForm):
    """A new pair: source, target (existing or a new playlist) and its settings."""

    field_order = ["source", "target", "target_name"]

    source = forms.ChoiceField(label="Source", help_text="The playlist or liked songs to copy.")
    target = forms.ChoiceField(
        label="Target",
        help_text="A playlist on the other platform, or a new one this pair creates.",
    )

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.collections = {c.pk: c for c in collections_for_user(user=user)}
        by_platform: dict[str, list[tuple[str, str]]] = {p: [] for p in Platform.values}
        for c in self.collections.values():
            by_platform[c.platform].append((str(c.pk), _label(c)))
        names = dict(Platform.choices)
        self.fields["source"].choices = [("", "Choose a playlist…")] + [
            (names[p], options) for p, options in by_platform.items() if options
        ]
        targets = {
            p: [(value, label) for value, label in options if self.collections[int(value)].editable]
            for p, options in by_platform.items()
        }
        self.fields["target"].choices = [(NEW_TARGET, "Create a new playlist")] + [
            (names[p], options) for p, options in targets.items() if options
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        source = self.collections.get(_int(cleaned.get("source")))
        if source is None:
            if "source" not in self.errors:  # "This field is required" says it already
                self.add_error("source", "Choose one of your playlists.")
            return cleaned
        cleaned["source_collection"] = source
        cleaned["target_platform"] = other_platform(source.platform)
        target_value = cleaned.get("target")
        target = None
        if target_value and target_value != NEW_TARGET:
            target = self.collections.get(_int(target_value))
            if target is None:
                self.add_error("target", "Choose one of your playlists.")
            elif target.platform == source.platform:
                other = dict(Platform.choices)[other_platform(source.platform)]
                self.add_error("target", f"The target must be on {other}.")
        cleaned["target_collection"] = target
        if target is None and not (cleaned.get("target_name") or "").strip():
            cleaned["target_name"] = playlist_name_fit(source.name, cleaned["target_platform"])
        return cleaned

    def pair_values(self) -> dict[str, Any]:
        """Keyword arguments for ``pair_create`` (and for an unsaved pair to preview)."""
        values = self.settings_values()
        values["source"] = self.cleaned_data["source_collection"]
        values["target"] = self.cleaned_data["target_collection"]
        values["target_platform"] = self.cleaned_data["target_platform"]
        if values["target"] is not None:
            values["target_name"] = ""
        return values


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CreateForAllForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("playlists", "All my playlists"), ("liked", "My liked songs")],
        label="What",
    )
    source_platform = forms.ChoiceField(choices=Platform.choices, label="From")
    mode = forms.ChoiceField(choices=SyncPair.Mode.choices, initial=SyncPair.Mode.ADD_ONLY)
    schedule = forms.ChoiceField(choices=SyncPair.Schedule.choices)


class ReviewUrlForm(forms.Form):
    url = forms.CharField(
        label="Or paste a link",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://… or spotify:track:…"}),
    )
