"""Sync a person's pairs in the foreground, with a progress line: `manage.py sync_user EMAIL`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from syncing.models import Run, SyncPair
from syncing.services.runs import run_execute, run_start

BAR = 30


class Command(BaseCommand):
    help = "Run a person's sync pairs now, in this process, and print what changed."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the person's email address")
        parser.add_argument("--pair", type=int, help="only this pair (its id)")
        parser.add_argument("--dry-run", action="store_true", help="plan only, write nothing")
        parser.add_argument(
            "--mode",
            choices=SyncPair.Mode.values,
            help="use this mode for this run instead of the pair's own",
        )

    def handle(self, *args, email, pair=None, dry_run=False, mode=None, **options):
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
        failed = False
        for sync_pair in pairs:
            if mode:
                sync_pair.mode = mode
                SyncPair.objects.filter(pk=sync_pair.pk).update(mode=mode)
            self.stdout.write(f"\n{sync_pair}")
            try:
                run = run_start(pair=sync_pair, trigger=Run.Trigger.COMMAND, dry_run=dry_run)
            except ValidationError as error:
                self.stdout.write(f"  not started: {' '.join(error.messages)}")
                failed = True
                continue
            if run.status == Run.Status.RUNNING:
                self.stdout.write("  already running elsewhere; not started twice")
                continue
            result = run_execute(run_id=run.pk, progress=self._progress) or run
            result.refresh_from_db()
            self.stdout.write("")
            self._summary(result, dry_run)
            failed |= result.status == Run.Status.FAILED
        if failed:
            raise CommandError("At least one run failed; see the messages above.")

    def _progress(self, run: Run) -> None:
        done, total = run.progress_done, run.progress_total
        filled = BAR * done // total if total else 0
        bar = "#" * filled + "-" * (BAR - filled)
        label = (run.progress_label or "")[:50]
        self.stdout.write(f"\r  [{bar}] {done}/{total or '?'} {label:<50}", ending="")
        self.stdout.flush()

    def _summary(self, run: Run, dry_run: bool) -> None:
        verb = "would add" if dry_run else "added"
        line = (
            f"  {run.get_status_display()}: {verb} {run.added}, removed {run.removed}, "
            f"kept {run.kept}, unmatched {run.unmatched}, unavailable {run.unavailable}, "
            f"failed {run.failed}"
        )
        if run.status == Run.Status.WAITING:
            until = f"{run.resume_at:%Y-%m-%d %H:%M} UTC" if run.resume_at else "later"
            line += f"; waiting ({run.get_wait_reason_display()}) until {until}"
        if run.error:
            line += f"\n  {run.error}"
        style = self.style.ERROR if run.status == Run.Status.FAILED else self.style.SUCCESS
        self.stdout.write(style(line))
