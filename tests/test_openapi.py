import re
import uuid

import pytest
import requests
import schemathesis
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.tokens import make_supabase_token

TABLE_RESOURCES = [
    "screenplays",
    "screenplay_sections",
    "scene_drafts",
    "clip_jobs",
    "credits_ledger",
    "continuity_scene_states",
    "continuity_logs",
    "continuity_telemetry",
    "video_uploads",
]
VIEW_RESOURCES = [
    "project_overview",
    "user_statistics",
    "continuity_daily_analytics",
    "continuity_recent_validations",
    "continuity_telemetry_performance",
]
ITEM_PATHS = [
    "/api/v1/screenplays/{id}/",
    "/api/v1/screenplay_sections/{id}/",
    "/api/v1/scene_drafts/{id}/",
    "/api/v1/clip_jobs/{id}/",
    "/api/v1/credits_ledger/{id}/",
    "/api/v1/continuity_scene_states/{id}/",
    "/api/v1/continuity_logs/{id}/",
    "/api/v1/continuity_telemetry/{element}/",
    "/api/v1/video_uploads/{id}/",
]

# One user for the whole fuzz run; the server creates it from its token's claims on first sight.
FUZZ_USER_ID = uuid.uuid4()


@pytest.mark.django_db
def test_schema_is_valid_openapi_3_and_lists_every_resource(api_client):
    response = api_client.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for resource in TABLE_RESOURCES:
        assert {"get", "post"} <= set(paths[f"/api/v1/{resource}/"]), resource
    for resource in VIEW_RESOURCES:
        assert set(paths[f"/api/v1/{resource}/"]) == {"get"}, resource
    for path in ITEM_PATHS:
        assert "get" in paths[path], path
    assert "post" in paths["/api/v1/scene_drafts/reorder/"]
    assert "post" in paths["/api/v1/auth/token"]


@pytest.mark.django_db
def test_schema_documents_bodies_and_errors_of_every_operation(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    for path, operations in schema["paths"].items():
        # Signing in, and Apple's notifications (signed by Apple), take no access token.
        if not path.startswith("/api/v1/") or path.startswith(("/api/v1/auth/", "/api/v1/app_store/")):
            continue
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert "401" in statuses, (method, path)
            assert statuses & {"200", "201", "204"}, (method, path)
            if method in {"post", "put", "patch"}:
                assert "requestBody" in operation, (method, path)
                assert {"400", "413", "415"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            # A reorder changes no row a client created, and an import always creates a new screenplay; the
            # continuity engine's actions store scene states under the caller's own numbers (an upsert) or nothing.
            if (
                method == "post"
                and not path.endswith(("reorder/", "/screenplays/import/"))
                and not path.startswith("/api/v1/continuity/")
            ):
                assert "409" in statuses, (method, path)


@pytest.mark.django_db
def test_schema_documents_the_limit_on_clip_submissions(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    for path in ("/api/v1/clip_jobs/", "/api/v1/scene_drafts/{id}/clip_jobs/", "/api/v1/scene_drafts/clip_jobs/"):
        assert "429" in paths[path]["post"]["responses"], path
    assert "429" not in paths["/api/v1/clip_jobs/{id}/"]["get"]["responses"]


@pytest.mark.django_db
def test_schema_marks_server_owned_columns_read_only(api_client):
    components = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]

    ledger_request = components["CreditsLedgerRequest"]["properties"]
    assert set(ledger_request) == {"id", "user_key"}
    assert set(components["TelemetryRequest"]["properties"]) == {"element", "attempts", "successes", "timestamp"}
    assert "created_at" not in components["ContinuityLogRequest"]["properties"]
    assert "updated_at" not in components["SceneStateRequest"]["properties"]


def test_docs_work_offline(live_server, settings):
    # The live server finds static files in the apps; hashed names exist only after collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    page = requests.get(f"{live_server.url}/api/docs/", timeout=10)

    assert page.status_code == 200
    external = [url for url in re.findall(r"https?://[^\s\"'<>)]+", page.text) if not url.startswith(live_server.url)]
    assert external == []
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert requests.get(f"{live_server.url}{asset}", timeout=10).status_code == 200, asset


@pytest.fixture
def live_api_schema(live_server):
    return schemathesis.from_uri(
        f"{live_server.url}/api/schema/?format=json",
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )


fuzzed = schemathesis.from_pytest_fixture("live_api_schema")


@fuzzed.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_fuzzing_finds_no_server_error(case):
    token = make_supabase_token(FUZZ_USER_ID, f"{FUZZ_USER_ID}@fuzz.local")

    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=(not_a_server_error, response_schema_conformance)
    )
