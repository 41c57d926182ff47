from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from clips.models import ClipJob, FilmExport, ProjectOverview, SceneDraft, VideoUpload
from clips.selectors import (
    UNFINISHED_STATUSES,
    clip_job_latest_failures,
    clip_job_queue_head,
    clip_job_timings,
    clip_job_workers,
    clip_jobs_by_status,
    clip_jobs_stalled,
)
from clips.services import clip_job_requeue, clip_job_staff_cancel
from credits.charts import credits_flow_chart
from credits.selectors import credits_daily_flows, ledger_latest_movement_mismatches
from directorstudio.admin import DatabaseViewAdmin, DirectorStudioModelAdmin, ReadOnlyModelAdmin, RowsAction, text_start


@admin.register(SceneDraft)
class SceneDraftAdmin(DirectorStudioModelAdmin):
    project_start = text_start("project_id", 13)
    list_display = (
        project_start,
        "order_index",
        text_start("prompt_text", 40),
        "duration",
        "owner",
        "updated_at",
    )
    list_display_links = (project_start, "order_index")
    search_fields = ("=id", "=user_id", "=project_id", "prompt_text")
    uuid_text_search_fields = ("project_id",)
    list_filter = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    ordering = ("user_id", "project_id", "order_index")
    readonly_fields = ("id", "created_at", "updated_at")
    fields = (
        "id",
        "user_id",
        "project_id",
        "order_index",
        "prompt_text",
        "duration",
        "scene_type",
        "shot_type",
        "created_at",
        "updated_at",
    )


# Why a clip job is never deleted in the admin.
CLIP_JOB_HISTORY_STAYS = (
    "Clip jobs are never deleted: the credit movements that paid for and refunded each one, and its runs, refer to "
    "it. Cancel and refund a queued or stalled job instead."
)


@admin.register(ClipJob)
class ClipJobAdmin(ReadOnlyModelAdmin):
    """Clip jobs, read-only: the app submits them (paying a credit), workers run them, staff requeue or cancel."""

    list_display = (
        text_start("prompt", 32),
        "status",
        "owner",
        text_start("user_key", 9),
        "submitted_at",
        "completed_at",
    )
    search_fields = ("=id", "=user_id", "=user_key", "prompt")
    list_filter = ("status", "submitted_at", "completed_at")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at",)  # newest first, from clip_jobs_submitted_idx
    fields = (
        "id",
        "user_id",
        "user_key",
        "prompt",
        "status",
        "submitted_at",
        "completed_at",
        "download_url",
        "error_message",
        "attempts",
        "credits",
    )
    # Every state change goes through the clip job services: the actions below, the app and the workers.
    readonly_fields = ("attempts", "credits")
    actions = ("requeue", "cancel_and_refund")
    no_delete_reason = CLIP_JOB_HISTORY_STAYS

    @admin.display(description="attempts")
    def attempts(self, job: ClipJob) -> str:
        run = getattr(job, "run", None)
        if run is None or run.started_at is None:
            return "never started"
        return f"{run.attempts}, the last one started {date_format(run.started_at, 'DATETIME_FORMAT')}"

    @admin.display(description="credits")
    def credits(self, job: ClipJob) -> str:
        url = reverse("admin:credits_creditmovement_changelist")
        return format_html('<a href="{}?clip_job_id__exact={}">Its payment and refund</a>', url, job.pk)

    def get_urls(self) -> list:
        """Each job's own page offers the actions for that one job."""
        own = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(partial(self.one_row_action, action=name)),
                name=f"clips_clipjob_{name}",
            )
            for name in self.actions
        ]
        return own + super().get_urls()

    def one_row_action(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """An action on one job, from its page: the same form, then back to the job."""
        job = self.get_object(request, unquote(object_id))
        if job is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        response = getattr(self, action)(request, self.get_queryset(request).filter(pk=job.pk))
        return response or HttpResponseRedirect(reverse("admin:clips_clipjob_change", args=(object_id,)))

    @admin.action(description="Queue the selected failed jobs again (no credit taken)")
    def requeue(self, request: HttpRequest, queryset: QuerySet[ClipJob]) -> HttpResponse | None:
        return self.run_rows_action(
            request,
            queryset,
            RowsAction(
                name="requeue",
                title="Queue failed clip jobs again",
                intro="Each job gets a new attempt by a worker; no credit is taken again (its failure refunded it). "
                "Your reason is kept in the job's history.",
                change=lambda job, data: clip_job_requeue(clip_job_id=job.pk),
                done=lambda note: f"Queued again: {note.strip()}",
            ),
        )

    @admin.action(description="Cancel the selected queued or stalled jobs and refund them")
    def cancel_and_refund(self, request: HttpRequest, queryset: QuerySet[ClipJob]) -> HttpResponse | None:
        return self.run_rows_action(
            request,
            queryset,
            RowsAction(
                name="cancel_and_refund",
                title="Cancel and refund clip jobs",
                intro="Each queued or stalled job is cancelled and its credit given back once, as a movement with "
                "your name and this reason.",
                change=lambda job, data: clip_job_staff_cancel(
                    clip_job_id=job.pk, note=data["note"], staff_user_id=request.user.pk
                ),
                done=lambda note: f"Cancelled and refunded: {note.strip()}",
            ),
        )


@admin.register(VideoUpload)
class VideoUploadAdmin(DirectorStudioModelAdmin):
    list_display = ("filename", text_start("project_id", 13), "order_index", "owner", "uploaded_at")
    search_fields = ("=id", "=user_id", "=project_id", "filename")
    uuid_text_search_fields = ("project_id",)
    list_filter = ("uploaded_at",)
    date_hierarchy = "uploaded_at"
    ordering = ("user_id", "project_id", "order_index")
    readonly_fields = ("id",)
    fields = ("id", "user_id", "project_id", "order_index", "filename", "uploaded_at")


@admin.register(ProjectOverview)
class ProjectOverviewAdmin(DatabaseViewAdmin):
    list_display = (
        text_start("project_id", 13),
        "owner",
        "scene_count",
        "total_duration",
        "project_created_at",
        "last_updated",
    )
    search_fields = ("=user_id", "=project_id")
    uuid_text_search_fields = ("project_id",)
    list_filter = ("last_updated", "project_created_at")
    date_hierarchy = "last_updated"


@admin.register(FilmExport)
class FilmExportAdmin(ReadOnlyModelAdmin):
    list_display = ("project_id", "status", "missing", "progress", "duration", "owner", "created_at")
    search_fields = ("=id", "=user_id", "=project_id")
    list_filter = ("status", "created_at")
    ordering = ("-created_at",)


# The operations page: recent figures over these periods (finished jobs are counted over the last), the credits
# of these many days.
TIMING_PERIODS = (("the last 24 hours", timedelta(days=1)), ("the last 30 days", timedelta(days=30)))
CREDIT_DAYS = 30
LATEST_FAILURES = 10
STALLED_SHOWN = 20
DISCREPANCIES_SHOWN = 20
# Procrastinate's own limit: a worker whose heartbeat is older has stopped (stalled_worker_timeout).
WORKER_SILENT_AFTER = timedelta(seconds=30)


def operations_view(request: HttpRequest) -> TemplateResponse:
    """Is the queue moving, what failed and why, are workers alive, where did the credits go: for staff."""
    now = timezone.now()
    today = timezone.localdate(now)
    days = credits_daily_flows(start=today - timedelta(days=CREDIT_DAYS - 1), end=today)
    finished_period, finished_span = TIMING_PERIODS[-1]
    finished_since = now - finished_span
    return TemplateResponse(
        request,
        "admin/operations.html",
        {
            **admin.site.each_context(request),
            "title": "Operations",
            "now": now,
            "by_status": clip_jobs_by_status(finished_since=finished_since),
            "unfinished_statuses": UNFINISHED_STATUSES,
            "finished_period": finished_period,
            "finished_since": finished_since,
            "queue": clip_job_queue_head(),
            "provider": settings.CLIP_PROVIDER,
            "timings": [(label, clip_job_timings(since=now - period)) for label, period in TIMING_PERIODS],
            "workers": clip_job_workers(),
            "alive_after": now - WORKER_SILENT_AFTER,
            "stalled": clip_jobs_stalled(now=now)[:STALLED_SHOWN],
            "stalled_count": clip_jobs_stalled(now=now).count(),
            "failures": clip_job_latest_failures(limit=LATEST_FAILURES),
            "days": days,
            "chart": credits_flow_chart(days),
            "discrepancies": ledger_latest_movement_mismatches()[:DISCREPANCIES_SHOWN],
        },
    )


admin.site.register_page("operations/", operations_view, name="operations", title="Operations")
