"""Reads of scene drafts, clip jobs, video uploads and project overviews, always within one user's rows."""

import uuid

from django.db.models import QuerySet

from clips.models import ClipJob, ProjectOverview, SceneDraft, VideoUpload


def scene_draft_list(*, user_id: uuid.UUID | None) -> QuerySet[SceneDraft]:
    """The user's scene drafts, by project and `order_index`."""
    return SceneDraft.objects.owned_by(user_id).order_by("project_id", "order_index", "id")


def clip_job_list(*, user_id: uuid.UUID | None) -> QuerySet[ClipJob]:
    """The user's clip jobs, newest first."""
    return ClipJob.objects.owned_by(user_id).order_by("-submitted_at", "id")


def video_upload_list(*, user_id: uuid.UUID | None) -> QuerySet[VideoUpload]:
    """The user's video uploads, by project and `order_index`."""
    return VideoUpload.objects.owned_by(user_id).order_by("project_id", "order_index", "id")


def project_overview_list(*, user_id: uuid.UUID | None) -> QuerySet[ProjectOverview]:
    """The user's projects as the project_overview view sums them up, most recently changed first."""
    return ProjectOverview.objects.owned_by(user_id).order_by("-last_updated", "project_id")
