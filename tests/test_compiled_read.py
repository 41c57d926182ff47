"""A selector's one-row read compiled once: it answers as the selector does, and refuses what it cannot keep."""

import uuid

import pytest

from clips.models import ClipJob
from clips.selectors import clip_job_list
from continuity.selectors import scene_state_list
from directorstudio.querysets import CompiledRead

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "user_id", "status", "submitted_at", "completed_at")
NAMES = ("user_id", "row_id")


def clip_job_read(**filters) -> CompiledRead:
    return CompiledRead(
        lambda user_id, row_id: clip_job_list(user_id=user_id).filter(pk=row_id, **filters).values(*COLUMNS),
        names=NAMES,
    )


def test_it_answers_the_owners_row_as_the_selector_does_and_nobody_elses():
    owner, other = uuid.uuid4(), uuid.uuid4()
    job = ClipJob.objects.create(user_id=owner, user_key="key", prompt="A lighthouse")
    read = clip_job_read()

    assert read.row(user_id=owner, row_id=job.pk) == clip_job_list(user_id=owner).values(*COLUMNS).get(pk=job.pk)
    assert read.row(user_id=other, row_id=job.pk) is None
    assert read.row(user_id=owner, row_id=uuid.uuid4()) is None


def test_it_keeps_the_querys_own_values():
    owner = uuid.uuid4()
    queued = ClipJob.objects.create(user_id=owner, user_key="key", prompt="P", status=ClipJob.Status.QUEUED)
    failed = ClipJob.objects.create(user_id=owner, user_key="key", prompt="P", status=ClipJob.Status.FAILED)
    read = clip_job_read(status=ClipJob.Status.QUEUED)

    assert read.row(user_id=owner, row_id=queued.pk)["status"] == "queued"
    assert read.row(user_id=owner, row_id=failed.pk) is None


def test_it_refuses_a_read_that_leaves_out_one_of_its_values():
    unscoped = CompiledRead(lambda user_id, row_id: ClipJob.objects.filter(pk=row_id).values("id"), names=NAMES)

    with pytest.raises(ValueError, match="user_id"):
        unscoped.row(user_id=uuid.uuid4(), row_id=uuid.uuid4())


def test_it_refuses_a_column_the_orm_would_convert():
    characters = CompiledRead(
        lambda user_id: scene_state_list(user_id=user_id).values("characters"), names=("user_id",)
    )

    with pytest.raises(ValueError, match="plain columns"):
        characters.row(user_id=uuid.uuid4())
