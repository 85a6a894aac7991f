"""Sync a person's pairs in the foreground, with a progress line: `manage.py sync_user EMAIL`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from syncing.models import Run, RunChange, SyncPair
from syncing.selectors import NEVER_MATCH
from syncing.services.runs import run_execute, run_held_removals, run_start

BAR = 30


class Command(BaseCommand):
    help = "Run a person's sync pairs now, in this process, and print what changed."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the person's email address")
        parser.add_argument("--pair", type=int, help="only this pair (its id)")
        parser.add_argument("--dry-run", action="store_true", help="plan only, write nothing")
        parser.add_argument(
            "--confirm-removals",
            action="store_true",
            help="carry out removals that would take most of a playlist at once "
            "(otherwise a run holds them back)",
        )
        parser.add_argument(
            "--mode",
            choices=SyncPair.Mode.values,
            help="use this mode for this run instead of the pair's own",
        )

    def handle(
        self, *args, email, pair=None, dry_run=False, mode=None, confirm_removals=False, **options
    ):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No person with the email {email!r}.")
        pairs = SyncPair.objects.filter(user=user).select_related("source", "target")
        if pair is not None:
            pairs = pairs.filter(pk=pair)
            if not pairs.exists():
                raise CommandError(f"{email} has no pair with id {pair}.")
        elif not pairs.exists():
            raise CommandError(f"{email} has no sync pairs yet: make one in the web app first.")
        failed = refused = 0
        for sync_pair in pairs:
            self.stdout.write(f"\n{sync_pair}")
            if mode and mode != sync_pair.mode:
                label = SyncPair.Mode(mode).label
                self.stdout.write(f"  as {label.lower()}, for this run only")
            try:
                run = run_start(
                    pair=sync_pair, trigger=Run.Trigger.COMMAND, dry_run=dry_run,
                    mode=mode if mode and mode != sync_pair.mode else "",
                    confirm_removals=confirm_removals,
                )  # fmt: skip
            except ValidationError as error:
                self.stdout.write(f"  not started: {' '.join(error.messages)}")
                refused += 1
                continue
            if run.status == Run.Status.RUNNING:
                self.stdout.write("  already running elsewhere; not started twice")
                continue
            result = run_execute(run_id=run.pk, progress=self._progress) or run
            result.refresh_from_db()
            self.stdout.write("")
            self._summary(result, dry_run)
            failed += result.status == Run.Status.FAILED
        if failed or refused:
            parts = [
                f"{n} {what}" for n, what in ((refused, "not started"), (failed, "failed")) if n
            ]
            raise CommandError(f"Pairs {' and '.join(parts)}; see the messages above.")

    def _progress(self, run: Run) -> None:
        done, total = run.progress_done, run.progress_total
        label = (run.progress_label or "")[:50]
        if not self.stdout.isatty():
            # A log file or a pipe gets a line per step, not a bar redrawn in place.
            line = f"  {label} ({done}/{total})" if total else f"  {label}"
            if line != getattr(self, "_last_line", None):
                self._last_line = line
                self.stdout.write(line)
            return
        if total:
            filled = BAR * done // total
            line = f"[{'#' * filled}{'-' * (BAR - filled)}] {done}/{total} {label:<50}"
        else:  # reading and matching: the label counts for itself
            line = f"{label:<{BAR + 60}}"
        self.stdout.write(f"\r  {line}", ending="")
        self.stdout.flush()

    def _summary(self, run: Run, dry_run: bool) -> None:
        add, remove = ("would add", "would remove") if dry_run else ("added", "removed")
        moved = f", {'would move' if dry_run else 'moved'} {run.moved}" if run.moved else ""
        line = (
            f"  {run.get_status_display()}: {add} {run.added}, {remove} {run.removed}{moved}, "
            f"kept {run.kept}, unmatched {run.unmatched}, unavailable {run.unavailable}, "
            f"failed {run.failed}"
        )
        if never := run.changes.filter(
            action=RunChange.Action.UNMATCHED, method=NEVER_MATCH
        ).count():
            line += f", skipped {never} you said never to match"
        if run.status == Run.Status.WAITING:
            until = f"{run.resume_at:%Y-%m-%d %H:%M} UTC" if run.resume_at else "later"
            line += f"; waiting ({run.get_wait_reason_display()}) until {until}"
        if held := run_held_removals(run=run):
            line += (
                f"\n  {held} removals held back (most of a playlist at once); "
                "--confirm-removals carries them out"
            )
        if run.error:
            line += f"\n  {run.error}"
        style = self.style.ERROR if run.status == Run.Status.FAILED else self.style.SUCCESS
        self.stdout.write(style(line))
