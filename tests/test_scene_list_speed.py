"""The 500-row lists write their timestamps in SQL, and answer byte for byte what the serializers write."""

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clips.models import ClipJob, SceneDraft
from clips.serializers import ClipJobSerializer, SceneDraftSerializer
from directorstudio.querysets import IsoTimestamp
from directorstudio.renderers import FastJSONRenderer
from tests.tokens import make_supabase_token

pytestmark = pytest.mark.django_db

SCENES = "/api/v1/scene_drafts/"
CLIP_JOBS = "/api/v1/clip_jobs/"
PARIS = ZoneInfo("Europe/Paris")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
# Every way `isoformat()` writes a time: no fraction, the fraction's extremes, other offsets, short and long years.
MOMENTS = [
    datetime(2026, 12, 7, 23, 46, 33, tzinfo=UTC),
    datetime(2026, 12, 7, 23, 46, 33, 1, tzinfo=UTC),
    datetime(2026, 12, 7, 23, 46, 33, 100000, tzinfo=UTC),
    datetime(2026, 12, 7, 23, 46, 33, 999999, tzinfo=UTC),
    datetime(2026, 3, 29, 3, 30, 0, 500, tzinfo=PARIS),
    datetime(2026, 10, 25, 2, 30, tzinfo=PARIS),
    datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=KATHMANDU),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(999, 6, 15, 12, 0, 0, 42, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
TEXTS = ["Scène 🎬 « INT. »", 'a "quote" and a back\\slash', "\u2028 and \u2029", "\x01\x1f\x7f\t\n", "", "x" * 4000]
DURATIONS = [4.0, 0.1, 1e-05, 1 / 3, 600.0, 123.456789012345]
TYPES = [None, "", "INT", "EXT", "INT/EXT", "ÉXT"]


def edge_scenes(user_id: uuid.UUID, project_id: str) -> list[SceneDraft]:
    """Scene drafts whose columns take every edge of the list's values, in `order_index` order."""
    scenes = []
    for index, moment in enumerate(MOMENTS):
        scene = SceneDraft.objects.create(
            user_id=user_id,
            project_id=project_id,
            order_index=2**31 - 1 if index == len(MOMENTS) - 1 else index,
            prompt_text=TEXTS[index % len(TEXTS)] or "-",
            duration=DURATIONS[index % len(DURATIONS)],
            scene_type=TYPES[index % len(TYPES)],
            shot_type=TYPES[(index + 1) % len(TYPES)],
        )
        # update() leaves both timestamps as given (save() would set updated_at to now).
        SceneDraft.objects.filter(pk=scene.pk).update(created_at=moment, updated_at=MOMENTS[-1 - index])
        scenes.append(scene)
    return scenes


def serialized(serializer_class, queryset) -> bytes:
    """What the API wrote before the lean lists: the serializer's data, rendered by the list's renderer."""
    return FastJSONRenderer().render(serializer_class(queryset, many=True).data, "application/json", {})


def test_the_database_writes_each_timestamp_as_isoformat_in_utc_does(alice):
    edge_scenes(alice.pk, "p")

    rows = SceneDraft.objects.annotate(written=IsoTimestamp("created_at")).values_list("created_at", "written")

    assert len(rows) == len(MOMENTS)
    for moment, written in rows:
        assert written == moment.astimezone(UTC).isoformat()
    # The text is the API's because the API's time zone is UTC.
    assert settings.TIME_ZONE == "UTC"


def test_a_null_timestamp_stays_null(alice):
    ClipJob.objects.create(user_id=alice.pk, user_key="key", prompt="P", completed_at=None)

    assert list(ClipJob.objects.annotate(written=IsoTimestamp("completed_at")).values_list("written", flat=True)) == [
        None
    ]


def test_the_scene_list_answers_the_serializers_bytes_for_every_edge(as_alice, alice, bob):
    edge_scenes(alice.pk, "p")
    edge_scenes(bob.pk, "p")
    mine = SceneDraft.objects.filter(user_id=alice.pk).order_by("order_index")

    response = as_alice.get(SCENES, {"project_id": "p", "limit": 1000})

    assert response.status_code == 200
    assert response.content == serialized(SceneDraftSerializer, mine)
    assert response["Content-Type"] == "application/json"
    assert response["Content-Range"] == f"0-{len(MOMENTS) - 1}/*"
    assert b"\\u2028" in response.content and b"\\u2029" in response.content


def test_the_time_bounds_filter_the_compiled_list_as_the_orm_does(as_alice, alice):
    edge_scenes(alice.pk, "p")
    since, until = MOMENTS[7], MOMENTS[0]
    wanted = SceneDraft.objects.filter(created_at__gte=since, created_at__lte=until).order_by("order_index")

    response = as_alice.get(
        SCENES, {"project_id": "p", "created_at__gte": since.isoformat(), "created_at__lte": until.isoformat()}
    )

    assert 0 < len(response.json()) < len(MOMENTS)
    assert response.content == serialized(SceneDraftSerializer, wanted)
    assert as_alice.get(SCENES, {"project_id": "other"}).json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"created_at__gte": "not a time"}, "created_at__gte"), ({"project_id": "p" * 201}, "project_id")],
)
def test_a_bad_filter_value_is_a_400_on_its_field(as_alice, alice, params, field):
    response = as_alice.get(SCENES, params)

    assert response.status_code == 400
    assert field in response.json()


def test_a_page_keeps_its_headers_and_rows(as_alice, alice):
    edge_scenes(alice.pk, "p")
    mine = list(SceneDraft.objects.filter(user_id=alice.pk).order_by("order_index"))

    response = as_alice.get(SCENES, {"project_id": "p", "limit": 3, "offset": 2})

    assert response.content == serialized(SceneDraftSerializer, mine[2:5])
    assert response["Content-Range"] == "2-4/*"
    assert 'rel="next"' in response["Link"] and "offset=5" in response["Link"]


def test_the_clip_job_list_answers_the_serializers_bytes_with_null_times(as_alice, alice):
    for index, moment in enumerate(MOMENTS):
        job = ClipJob.objects.create(user_id=alice.pk, user_key="key", prompt=TEXTS[index % len(TEXTS)] or "P")
        completed = None if index % 2 else MOMENTS[-1 - index]
        ClipJob.objects.filter(pk=job.pk).update(submitted_at=moment, completed_at=completed)

    response = as_alice.get(CLIP_JOBS, {"limit": 1000})

    assert response.content == serialized(ClipJobSerializer, ClipJob.objects.order_by("-submitted_at", "id"))


@pytest.mark.parametrize(("url", "params"), [(SCENES, {"project_id": "p", "limit": 1000}), (CLIP_JOBS, {})])
def test_the_lists_timestamps_and_uuids_are_written_by_the_database(as_alice, alice, url, params):
    edge_scenes(alice.pk, "p")

    with CaptureQueriesContext(connection) as queries:
        assert as_alice.get(url, params).status_code == 200

    (query,) = queries.captured_queries
    assert query["sql"].count("to_char(") == 2
    assert '"id")::text' in query["sql"] and '"user_id")::text' in query["sql"]


def test_the_facades_compiled_list_answers_what_its_orm_read_answers(alice, bob, anon_key):
    edge_scenes(alice.pk, "p")
    edge_scenes(bob.pk, "p")
    client = Client(HTTP_APIKEY=anon_key, HTTP_AUTHORIZATION=f"Bearer {make_supabase_token(alice.pk, alice.email)}")
    compiled = "/rest/v1/scene_drafts?project_id=eq.p&select=*&order=order_index"
    # `like` is no compiled operator: the same rows are read through the ORM, their timestamps loaded by Django.
    through_the_orm = "/rest/v1/scene_drafts?project_id=like.p&select=*&order=order_index"

    with CaptureQueriesContext(connection) as queries:
        answer = client.get(compiled)

    assert answer.status_code == 200
    assert "to_char(" in queries.captured_queries[-1]["sql"] and "::text" in queries.captured_queries[-1]["sql"]
    assert len(answer.json()) == len(MOMENTS)
    assert answer.content == client.get(through_the_orm).content
