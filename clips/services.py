import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from clips.models import ClipJob, SceneDraft
from credits.models import CreditsLedger
from directorstudio.services import RowIdTaken


class InsufficientCredits(APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_detail = "This user key has no credit left for a clip."
    default_code = "insufficient_credits"


def scene_drafts_reorder(*, user_id: uuid.UUID, project_id: str, ids: list[uuid.UUID]) -> list[SceneDraft]:
    """Give a project's scene drafts `order_index` 0..n-1 in the order of `ids`, which must name each exactly once."""
    with transaction.atomic():
        scenes = {
            scene.id: scene
            for scene in SceneDraft.objects.select_for_update().filter(user_id=user_id, project_id=project_id)
        }
        if not scenes:
            raise ValidationError({"project_id": ["You have no scene drafts in this project."]})
        if len(ids) != len(set(ids)) or set(ids) != scenes.keys():
            raise ValidationError({"ids": ["Must list each of the project's scene drafts exactly once."]})
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

    A create repeated with the same client `id` returns the first job and takes no second credit.
    """
    try:
        with transaction.atomic():
            # The ledger lock also serializes repeats of the same create, so the check below sees the first one.
            ledger = CreditsLedger.objects.select_for_update().filter(user_id=user_id, user_key=user_key).first()
            if id is not None and (job := ClipJob.objects.filter(user_id=user_id, id=id).first()) is not None:
                return job, False
            if ledger is None or ledger.credits < 1:
                raise InsufficientCredits()
            spent = {"credits": F("credits") - 1, "updated_at": timezone.now()}
            if ledger.first_clip_granted and not ledger.first_clip_consumed:
                spent["first_clip_consumed"] = True
            CreditsLedger.objects.filter(pk=ledger.pk).update(**spent)
            values = {"id": id} if id is not None else {}
            return ClipJob.objects.create(user_id=user_id, user_key=user_key, prompt=prompt, **values), True
    except IntegrityError:
        if id is not None and ClipJob.objects.filter(id=id).exists():
            raise RowIdTaken() from None
        raise
