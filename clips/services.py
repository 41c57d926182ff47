import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from clips.models import ClipJob, SceneDraft
from credits.services import credits_spend_for_clip_job
from directorstudio.errors import IdTaken, InvalidInput


def scene_drafts_reorder(*, user_id: uuid.UUID, project_id: str, ids: list[uuid.UUID]) -> list[SceneDraft]:
    """Give a project's scene drafts `order_index` 0..n-1 in the order of `ids`, which must name each exactly once."""
    with transaction.atomic():
        scenes = {
            scene.id: scene
            for scene in SceneDraft.objects.select_for_update().owned_by(user_id).filter(project_id=project_id)
        }
        if not scenes:
            raise InvalidInput({"project_id": ["You have no scene drafts in this project."]})
        if len(ids) != len(set(ids)) or set(ids) != scenes.keys():
            raise InvalidInput({"ids": ["Must list each of the project's scene drafts exactly once."]})
        now = timezone.now()
        ordered = [scenes[scene_id] for scene_id in ids]
        for order_index, scene in enumerate(ordered):
            scene.order_index = order_index
            scene.updated_at = now
        SceneDraft.objects.bulk_update(ordered, ["order_index", "updated_at"], batch_size=len(ordered))
    return ordered


def clip_job_submit(
    *, user_id: uuid.UUID, user_key: str, prompt: str, id: uuid.UUID | None = None
) -> tuple[ClipJob, bool]:
    """Queue a clip job paid with one credit of the user's ledger row for `user_key`; created is False on a repeat.

    A create repeated with the same client `id` returns the first job and takes no second credit:
    the job is inserted before the credit is taken, so a repeat stops at the job's key (a
    concurrent one waits there for the first to commit) and its transaction takes nothing.
    """
    try:
        with transaction.atomic():
            job = ClipJob.objects.create(
                user_id=user_id, user_key=user_key, prompt=prompt, **({"id": id} if id is not None else {})
            )
            credits_spend_for_clip_job(user_id=user_id, user_key=user_key)
            return job, True
    except IntegrityError:
        if id is None:
            raise
        job = ClipJob.objects.owned_by(user_id).filter(id=id).first()
        if job is None:
            raise IdTaken() from None
        return job, False
