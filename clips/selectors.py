"""Reads of scene drafts, clip jobs, video uploads and project overviews, always within one user's rows."""

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from clips.models import ClipJob, FilmExport, ProjectOverview, SceneClipJob, SceneDraft, VideoUpload
from credits.models import CreditsLedger
from credits.selectors import credits_ledger_list
from directorstudio.errors import NotFound


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


def scene_draft_latest_clip_jobs(*, user_id: uuid.UUID | None, project_id: str) -> dict[uuid.UUID, ClipJob]:
    """The latest clip job submitted for each of the user's scene drafts of the project, by scene id (one query)."""
    links = (
        SceneClipJob.objects.filter(
            scene_draft__in=SceneDraft.objects.owned_by(user_id).filter(project_id=project_id),
            clip_job__in=ClipJob.objects.owned_by(user_id),
        )
        .select_related("clip_job__run")
        .order_by("scene_draft_id", "-created_at")
        .distinct("scene_draft_id")
    )
    return {link.scene_draft_id: link.clip_job for link in links}


def project_poster_clip_jobs(*, user_id: uuid.UUID | None, project_ids: list[str]) -> dict[str, ClipJob]:
    """For each of the projects, the latest completed clip of its first scene that has one (one query)."""
    links = (
        SceneClipJob.objects.filter(
            scene_draft__in=SceneDraft.objects.owned_by(user_id).filter(project_id__in=project_ids),
            clip_job__in=ClipJob.objects.owned_by(user_id).filter(status=ClipJob.Status.COMPLETED),
        )
        .select_related("clip_job", "scene_draft")
        .order_by("scene_draft__project_id", "scene_draft__order_index", "-created_at")
        .distinct("scene_draft__project_id")
    )
    return {link.scene_draft.project_id: link.clip_job for link in links}


def video_upload_project_list(*, user_id: uuid.UUID | None, project_id: str) -> QuerySet[VideoUpload]:
    """The user's video uploads of one project, in `order_index` order."""
    return video_upload_list(user_id=user_id).filter(project_id=project_id)


def film_export_list(*, user_id: uuid.UUID | None) -> QuerySet[FilmExport]:
    """The user's film exports, newest first."""
    return FilmExport.objects.owned_by(user_id).order_by("-created_at", "id")


@dataclass
class ProjectState:
    """What changes on a project's timeline by itself: clips, credits, uploads and the latest film export."""

    project_id: str
    clip_jobs: dict[uuid.UUID, ClipJob]
    credits: int
    ledger: list[CreditsLedger]
    video_uploads: list[VideoUpload]
    film_export: FilmExport | None


def project_state_get(*, user_id: uuid.UUID | None, project_id: str) -> ProjectState:
    """The project's state for the timeline's poll, in a fixed number of queries whatever its size."""
    ledger = list(credits_ledger_list(user_id=user_id).order_by("-credits", "user_key"))
    return ProjectState(
        project_id=project_id,
        clip_jobs=scene_draft_latest_clip_jobs(user_id=user_id, project_id=project_id),
        credits=sum(row.credits for row in ledger),
        ledger=ledger,
        video_uploads=list(video_upload_project_list(user_id=user_id, project_id=project_id)),
        film_export=film_export_list(user_id=user_id).filter(project_id=project_id).first(),
    )


def project_scene_drafts(*, user_id: uuid.UUID | None, project_id: str) -> list[SceneDraft]:
    """The project's scene drafts in order; NotFound when the user has none there (a project exists by its scenes)."""
    scenes = list(scene_draft_list(user_id=user_id).filter(project_id=project_id))
    if not scenes:
        raise NotFound("No such project.")
    return scenes
