"""Operators' view of the job queues, as Flower gives for Celery.

django-dramatiq records every message in its Task table (AdminMiddleware). This admin
shows it with the error of each failed task in the list, escapes what its own admin marks
safe (a traceback can quote a platform's response), and shows each queue's depth above.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django_dramatiq.admin import TaskAdmin
from django_dramatiq.models import Task

from musicsync.metrics import queue_depths
from musicsync.observability import redact_text

admin.site.unregister(Task)


class FailedFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("failed", "Failed"), ("unfinished", "Enqueued, delayed or running")]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() == "failed":
            return queryset.filter(status=Task.STATUS_FAILED)
        if self.value() == "unfinished":
            return queryset.filter(
                status__in=[Task.STATUS_ENQUEUED, Task.STATUS_DELAYED, Task.STATUS_RUNNING]
            )
        return queryset


def _traceback_of(task: Task) -> str:
    try:
        return task.message.options.get("traceback") or ""
    except Exception:  # noqa: BLE001 - an undecodable message must not break the page
        return ""


@admin.register(Task)
class OperatorTaskAdmin(TaskAdmin):
    change_list_template = "admin/musicsync/task_change_list.html"
    list_display = (
        "__str__",
        "status",
        "error",
        "queue_name",
        "actor_name",
        "created_at",
        "updated_at",
    )
    list_filter = (FailedFilter, "status", "queue_name", "actor_name", "created_at")
    search_fields = ("actor_name", "id")
    list_per_page = 50

    @admin.display(description="error")
    def error(self, task: Task) -> str:
        if task.status != Task.STATUS_FAILED:
            return ""
        lines = [line for line in _traceback_of(task).strip().splitlines() if line.strip()]
        return redact_text(lines[-1])[:200] if lines else "failed"

    def traceback(self, task: Task) -> str:
        text = _traceback_of(task)
        return format_html("<pre>{}</pre>", redact_text(text)) if text else ""

    def message_details(self, task: Task) -> str:
        # The parent marks the payload safe unescaped; escape it and hide tokens.
        import json

        try:
            details = json.dumps(task.message._asdict(), indent=2, default=str)
        except Exception:  # noqa: BLE001
            details = "(the message could not be decoded)"
        return format_html("<pre>{}</pre>", redact_text(details))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            depths: list[tuple[str, str, int]] | None = queue_depths()
            depth_error = ""
        except Exception as exc:  # noqa: BLE001 - Redis down: say so instead of a 500
            depths, depth_error = None, f"{type(exc).__name__}: {exc}"[:200]
        queues: dict[str, dict[str, int]] = {}
        for queue, state, count in depths or []:
            queues.setdefault(queue, {})[state] = count
        extra_context = {
            **(extra_context or {}),
            "queue_depths": sorted(queues.items()),
            "queue_depth_error": depth_error,
        }
        return super().changelist_view(request, extra_context=extra_context)
