"""Editing screenplays: history from every client, restore, sections, statistics, files in and out, scene drafts."""

import re
import uuid
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clips.models import SceneDraft
from directorstudio.errors import Conflict, InvalidInput, VersionConflict
from screenplays.models import Screenplay, ScreenplayRevision, ScreenplaySection
from screenplays.services import (
    screenplay_create,
    screenplay_import,
    screenplay_restore,
    screenplay_scene_drafts_create,
    screenplay_update,
)
from tests.rows import COLUMNS

pytestmark = pytest.mark.django_db

SCREENPLAYS = "/api/v1/screenplays/"
SCRIPT = (
    "INT. DINER - NIGHT\n\nRain hammers the window.\n\nMARY\n(quietly)\nHello.\n\n"
    "EXT. PIER - DAY\n\nWaves.\n\nBOB\nHi.\n\nMARY\nAgain.\n"
)


def scenes(count: int) -> str:
    return "".join(f"INT. ROOM {n} - DAY\n\nSomething happens in room {n}.\n\n" for n in range(count))


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", data))


@pytest.fixture
def screenplay(alice) -> Screenplay:
    return screenplay_create(user_id=alice.pk, title="Night Shift", content=SCRIPT)[0]


def url(screenplay: Screenplay, action: str = "") -> str:
    return f"{SCREENPLAYS}{screenplay.pk}/{action}"


def history(screenplay: Screenplay) -> list[tuple]:
    return list(
        ScreenplayRevision.objects.filter(screenplay=screenplay)
        .order_by("version")
        .values_list("version", "source", "title", "content")
    )


# --- history ------------------------------------------------------------------------------------


def test_api_create_and_update_keep_every_version(as_alice, alice):
    created = as_alice.post(SCREENPLAYS, {"title": "Night Shift", "content": SCRIPT}, format="json").json()
    screenplay = Screenplay.objects.get(pk=created["id"])
    as_alice.patch(url(screenplay), {"version": 1, "content": SCRIPT + "\nMore.\n"}, format="json")
    as_alice.patch(url(screenplay), {"version": 2, "title": "Day Shift"}, format="json")

    assert history(screenplay) == [
        (1, "app", "Night Shift", SCRIPT),
        (2, "app", "Night Shift", SCRIPT + "\nMore.\n"),
        (3, "app", "Day Shift", SCRIPT + "\nMore.\n"),
    ]
    assert set(ScreenplayRevision.objects.values_list("saved_by", flat=True)) == {alice.pk}


def test_a_repeated_create_writes_no_second_revision(as_alice):
    body = {"id": str(uuid.uuid4()), "title": "Night Shift", "content": SCRIPT}

    assert as_alice.post(SCREENPLAYS, body, format="json").status_code == 201
    assert as_alice.post(SCREENPLAYS, body, format="json").status_code == 200
    assert ScreenplayRevision.objects.count() == 1
    assert ScreenplaySection.objects.count() == 2


def test_saves_from_the_browser_session_are_the_editors(api_client, alice):
    api_client.force_login(alice)
    created = api_client.post(SCREENPLAYS, {"title": "Mine", "content": ""}, format="json").json()
    api_client.patch(f"{SCREENPLAYS}{created['id']}/", {"version": 1, "content": "INT. A - DAY\n"}, format="json")

    assert list(ScreenplayRevision.objects.order_by("version").values_list("source", flat=True)) == [
        "editor",
        "editor",
    ]


def test_admin_add_and_change_keep_versions(admin_client, admin_user, alice):
    data = {
        "user_id": str(alice.pk),
        "title": "From the admin",
        "content": SCRIPT,
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
    }
    admin_client.post(reverse("admin:screenplays_screenplay_add"), data)
    screenplay = Screenplay.objects.get(title="From the admin")
    change = reverse("admin:screenplays_screenplay_change", args=[screenplay.pk])
    page = admin_client.get(change)
    sections = page.context["inline_admin_formsets"][0].formset
    data = {
        **data,
        "title": "Changed in the admin",
        "based_on_version": 1,
        "sections-TOTAL_FORMS": str(len(sections.forms)),
        "sections-INITIAL_FORMS": str(len(sections.forms)),
    }
    for index, form in enumerate(sections.forms):
        for name in ("id", "order_index", "heading", "content"):
            data[f"sections-{index}-{name}"] = form[name].value()
        data[f"sections-{index}-screenplay"] = str(screenplay.pk)
    response = admin_client.post(change, data)

    assert response.status_code == 302, [f.formset.errors for f in response.context["inline_admin_formsets"]]
    assert [(v, s, t) for v, s, t, _ in history(screenplay)] == [
        (1, "admin", "From the admin"),
        (2, "admin", "Changed in the admin"),
    ]
    assert set(ScreenplayRevision.objects.values_list("saved_by", flat=True)) == {admin_user.pk}
    assert list(screenplay.sections.values_list("heading", flat=True)) == ["INT. DINER - NIGHT", "EXT. PIER - DAY"]
    assert "v2 · admin · Changed in the admin" in admin_client.get(change).text


def test_revisions_list_newest_first_without_content_and_one_with_it(as_alice, screenplay):
    screenplay_update(screenplay_id=screenplay.pk, based_on_version=1, values={"title": "Day Shift"})

    listed = as_alice.get(url(screenplay, "revisions/"))
    one = as_alice.get(url(screenplay, "revisions/1/"))

    assert listed.status_code == 200
    assert [(row["version"], row["title"]) for row in listed.json()] == [(2, "Day Shift"), (1, "Night Shift")]
    assert set(listed.json()[0]) == {"version", "title", "source", "saved_by", "created_at", "page_count"}
    assert one.json()["content"] == SCRIPT
    assert one.json()["version"] == 1
    assert as_alice.get(url(screenplay, "revisions/9/")).status_code == 404


def test_restore_is_a_new_version_with_the_old_text(as_alice, alice, screenplay):
    screenplay_update(screenplay_id=screenplay.pk, based_on_version=1, values={"title": "B", "content": "New.\n"})

    response = as_alice.post(url(screenplay, "restore/"), {"version": 1, "based_on_version": 2}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == COLUMNS["screenplays"]
    assert (body["version"], body["title"], body["content"]) == (3, "Night Shift", SCRIPT)
    assert history(screenplay)[-1] == (3, "restore", "Night Shift", SCRIPT)
    assert list(screenplay.sections.values_list("heading", flat=True)) == ["INT. DINER - NIGHT", "EXT. PIER - DAY"]


def test_a_restore_based_on_an_old_version_is_a_conflict_with_the_current_row(as_alice, screenplay):
    screenplay_update(screenplay_id=screenplay.pk, based_on_version=1, values={"title": "Phone"})

    stale = as_alice.post(url(screenplay, "restore/"), {"version": 1, "based_on_version": 1}, format="json")
    missing = as_alice.post(url(screenplay, "restore/"), {"version": 7, "based_on_version": 2}, format="json")
    invalid = as_alice.post(url(screenplay, "restore/"), {"version": 0}, format="json")

    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["current"]["title"] == "Phone"
    assert missing.status_code == 404
    assert invalid.status_code == 400
    assert set(invalid.json()) == {"version", "based_on_version"}
    assert ScreenplayRevision.objects.filter(screenplay=screenplay).count() == 2
    with pytest.raises(VersionConflict):
        screenplay_restore(screenplay_id=screenplay.pk, version=1, based_on_version=1, saved_by=None)


# --- sections -----------------------------------------------------------------------------------


def test_sections_follow_the_content_and_keep_their_ids_when_the_heading_is_unchanged(screenplay):
    before = {section.heading: section.pk for section in screenplay.sections.all()}
    content = (
        "EXT. PIER - DAY\n\nStill waves.\n\nINT. NEW PLACE - DAY\n\nNew.\n\n"
        "INT. DINER - NIGHT\n\nRain.\n\nINT. DINER - NIGHT\n\nAgain the diner.\n"
    )

    screenplay_update(screenplay_id=screenplay.pk, based_on_version=1, values={"content": content})

    sections = list(screenplay.sections.order_by("order_index"))
    assert [(s.order_index, s.heading, s.content) for s in sections] == [
        (0, "EXT. PIER - DAY", "Still waves."),
        (1, "INT. NEW PLACE - DAY", "New."),
        (2, "INT. DINER - NIGHT", "Rain."),
        (3, "INT. DINER - NIGHT", "Again the diner."),
    ]
    assert sections[0].pk == before["EXT. PIER - DAY"]
    assert sections[2].pk == before["INT. DINER - NIGHT"]  # the first occurrence keeps the first one's id
    assert sections[1].pk not in before.values() and sections[3].pk not in before.values()

    screenplay_update(screenplay_id=screenplay.pk, based_on_version=2, values={"content": "INT. NEW PLACE - DAY\n"})

    assert list(screenplay.sections.values_list("pk", "heading", "content")) == [
        (sections[1].pk, "INT. NEW PLACE - DAY", "")
    ]


def test_a_title_change_leaves_the_sections_alone(screenplay):
    ScreenplaySection.objects.filter(screenplay=screenplay).update(content="Edited in the app.")

    screenplay_update(screenplay_id=screenplay.pk, based_on_version=1, values={"title": "New title"})

    assert set(screenplay.sections.values_list("content", flat=True)) == {"Edited in the app."}


def test_a_save_runs_the_same_number_of_queries_for_3_or_120_scenes(alice):
    def queries_of_a_save(count: int) -> list[str]:
        screenplay, _ = screenplay_create(user_id=alice.pk, title="Long", content=scenes(count))
        changed = scenes(count).replace("Something happens", "Something else happens").replace("ROOM 1 ", "ROOM A ")
        with CaptureQueriesContext(connection) as queries:
            screenplay_update(
                screenplay_id=screenplay.pk, based_on_version=1, values={"content": changed + "INT. END - DAY\n"}
            )
        assert screenplay.sections.count() == count + 1
        return [query["sql"] for query in queries.captured_queries]

    few, many = queries_of_a_save(3), queries_of_a_save(120)

    # Lock, version, revision, its page-count task, and sections in bulk: the same few statements for any length.
    assert len(few) == len(many) <= 13, many
    assert sum(sql.startswith('UPDATE "screenplay_sections"') for sql in many) == 1
    assert sum(sql.startswith('INSERT INTO "screenplay_sections"') for sql in many) == 1


# --- statistics and exports ---------------------------------------------------------------------


def test_statistics(as_alice, screenplay):
    response = as_alice.get(url(screenplay, "statistics/"))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "scenes": 2,
        "words": 8,
        "pages": 1,
        "running_time_seconds": 60,
        "characters": [{"name": "MARY", "lines": 2}, {"name": "BOB", "lines": 1}],
        "int_ext": {"INT": 1, "EXT": 1, "INT/EXT": 0},
        "day_night": {"DAY": 1, "NIGHT": 1},
        "locations": ["DINER", "PIER"],
        "version": 1,
    }
    assert ScreenplayRevision.objects.get(screenplay=screenplay).page_count == 1


def test_the_pdf_opens_and_has_the_pages_the_statistics_count(as_alice, alice):
    screenplay, _ = screenplay_create(user_id=alice.pk, title="Très Long: Night/Day", content=scenes(150))

    pdf = as_alice.get(url(screenplay, "export/"), {"format": "pdf"})
    pages = as_alice.get(url(screenplay, "statistics/")).json()["pages"]

    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="tres-long-nightday.pdf"'
    assert pdf.content.startswith(b"%PDF")
    assert pages > 1
    assert pdf_pages(pdf.content) == pages


def test_fdx_and_fountain_exports(as_alice, screenplay):
    fdx = as_alice.get(url(screenplay, "export/"), {"format": "fdx"})
    fountain = as_alice.get(url(screenplay, "export/"), {"format": "fountain"})
    unknown = as_alice.get(url(screenplay, "export/"), {"format": "docx"})

    assert fdx.status_code == 200
    assert fdx["Content-Disposition"] == 'attachment; filename="night-shift.fdx"'
    root = ElementTree.fromstring(fdx.content)
    assert root.tag == "FinalDraft"
    assert [p.get("Type") for p in root.iter("Paragraph")][:3] == ["Scene Heading", "Action", "Character"]
    assert fountain.status_code == 200
    assert fountain["Content-Type"].startswith("text/plain")
    assert fountain["Content-Disposition"] == 'attachment; filename="night-shift.fountain"'
    assert fountain.content.decode() == SCRIPT
    assert unknown.status_code == 400
    assert "format" in unknown.json()


# --- import -------------------------------------------------------------------------------------

FDX = b"""<?xml version="1.0" encoding="UTF-8"?>
<FinalDraft DocumentType="Script" Version="4"><Content>
<Paragraph Type="Scene Heading"><Text>INT. DINER - NIGHT</Text></Paragraph>
<Paragraph Type="Action"><Text>Rain.</Text></Paragraph>
<Paragraph Type="Character"><Text>MARY</Text></Paragraph>
<Paragraph Type="Dialogue"><Text>Hello.</Text></Paragraph>
</Content><TitlePage><Content><Paragraph><Text>Diner Blues</Text></Paragraph></Content></TitlePage></FinalDraft>
"""


def upload(as_client, name: str, data: bytes, **fields):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return as_client.post(f"{SCREENPLAYS}import/", {"file": file, **fields}, format="multipart")


@pytest.mark.parametrize(
    ("name", "data", "title", "content"),
    [
        ("night_shift.fountain", "\ufeffINT. DINER - NIGHT\r\n\r\nRain.\r\n".encode(), "night shift", None),
        ("Old.txt", "Title: Café Noir\n\nEXT. CAFÉ - DAY\n\nSoleil.\n".encode("latin-1"), "Café Noir", None),
        ("draft.fdx", FDX, "Diner Blues", "Title: Diner Blues\n\nINT. DINER - NIGHT\n\nRain.\n\nMARY\nHello.\n"),
    ],
    ids=["fountain with BOM", "latin-1 text", "final draft"],
)
def test_import_each_format(as_alice, alice, name, data, title, content):
    response = upload(as_alice, name, data)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COLUMNS["screenplays"]
    assert (body["title"], body["version"], body["user_id"]) == (title, 1, str(alice.pk))
    screenplay = Screenplay.objects.get(pk=body["id"])
    assert "\ufeff" not in screenplay.content and "\r" not in screenplay.content
    if content is not None:
        assert screenplay.content == content
    assert screenplay.sections.count() == 1
    assert history(screenplay)[0][:2] == (1, "import")


def test_import_takes_a_given_title(as_alice):
    response = upload(as_alice, "a.fountain", b"INT. A - DAY\n", title="Chosen")

    assert response.json()["title"] == "Chosen"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "bomb.fdx",
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>'
            b"<FinalDraft><Content><Paragraph><Text>&lol2;</Text></Paragraph></Content></FinalDraft>",
        ),
        (
            "xxe.fdx",
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<FinalDraft><Content><Paragraph><Text>&x;</Text></Paragraph></Content></FinalDraft>",
        ),
        ("broken.fdx", b"<FinalDraft><Content>"),
        ("other.fdx", b"<html/>"),
        ("picture.fountain", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10),
        ("empty.txt", b"  \n"),
        ("script.docx", b"INT. A - DAY\n"),
    ],
    ids=["billion laughs", "external entity", "not well-formed", "not final draft", "binary", "empty", "extension"],
)
def test_a_bad_or_hostile_file_is_refused_and_stores_nothing(as_alice, name, data):
    response = upload(as_alice, name, data)

    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert Screenplay.objects.count() == ScreenplayRevision.objects.count() == 0


def test_a_too_big_file_is_refused(as_alice, alice, settings):
    settings.SCREENPLAY_IMPORT_MAX_BYTES = 1000

    just_over = upload(as_alice, "big.fountain", b"x" * 1001)
    far_over = upload(as_alice, "huge.fountain", b"x" * 200_000)

    assert just_over.status_code == 400
    assert "larger than" in just_over.json()["file"][0]
    assert far_over.status_code == 413
    assert Screenplay.objects.count() == 0
    with pytest.raises(InvalidInput):
        screenplay_import(user_id=alice.pk, filename="big.txt", data=b"y" * 1001)


def test_import_without_a_file_or_with_json(as_alice):
    assert as_alice.post(f"{SCREENPLAYS}import/", {}, format="multipart").status_code == 400
    assert as_alice.post(f"{SCREENPLAYS}import/", {"file": "x"}, format="json").status_code == 415


# --- scene drafts -------------------------------------------------------------------------------


def test_scene_drafts_create_replace_append_and_conflict(as_alice, alice, screenplay):
    drafts_url = url(screenplay, "scene_drafts/")

    created = as_alice.post(drafts_url, {"mode": "create", "default_duration": 6.5}, format="json")
    again = as_alice.post(drafts_url, {}, format="json")
    appended = as_alice.post(drafts_url, {"mode": "append"}, format="json")
    replaced = as_alice.post(drafts_url, {"mode": "replace"}, format="json")

    assert created.status_code == 201, created.content
    first = created.json()
    assert [(d["order_index"], d["prompt_text"], d["duration"], d["scene_type"]) for d in first] == [
        (0, "INT. DINER - NIGHT. Rain hammers the window.", 6.5, "INT"),
        (1, "EXT. PIER - DAY. Waves.", 6.5, "EXT"),
    ]
    assert {d["project_id"] for d in first} == {str(screenplay.pk)}
    assert {d["user_id"] for d in first} == {str(alice.pk)}
    assert set(first[0]) == COLUMNS["scene_drafts"]
    assert again.status_code == 409
    assert again.json()["code"] == "scene_drafts_exist"
    assert "replace" in again.json()["detail"] and "append" in again.json()["detail"]
    assert [d["order_index"] for d in appended.json()] == [0, 1, 2, 3]
    assert [d["duration"] for d in appended.json()] == [6.5, 6.5, 4.0, 4.0]
    assert replaced.status_code == 201
    assert [d["order_index"] for d in replaced.json()] == [0, 1]
    assert not {d["id"] for d in replaced.json()} & {d["id"] for d in first}
    assert SceneDraft.objects.filter(project_id=str(screenplay.pk)).count() == 2


def test_scene_drafts_validation(as_alice, alice, screenplay):
    drafts_url = url(screenplay, "scene_drafts/")
    empty, _ = screenplay_create(user_id=alice.pk, title="Empty", content="Just action.\n")

    assert set(as_alice.post(drafts_url, {"mode": "x", "default_duration": 0}, format="json").json()) == {
        "mode",
        "default_duration",
    }
    assert as_alice.post(url(empty, "scene_drafts/"), {}, format="json").status_code == 400
    screenplay_scene_drafts_create(user_id=alice.pk, screenplay_id=screenplay.pk)
    with pytest.raises(Conflict):
        screenplay_scene_drafts_create(user_id=alice.pk, screenplay_id=screenplay.pk)


def test_a_long_first_action_makes_a_bounded_prompt(alice):
    screenplay, _ = screenplay_create(
        user_id=alice.pk, title="Long", content="EST. CITY - DAWN\n\n" + "word " * 400 + "\n"
    )

    (draft,) = screenplay_scene_drafts_create(user_id=alice.pk, screenplay_id=screenplay.pk)

    assert len(draft.prompt_text) <= 500
    assert draft.prompt_text.endswith("…")
    assert (draft.scene_type, draft.shot_type) == ("EXT", "wide")


# --- isolation ----------------------------------------------------------------------------------


def test_another_users_screenplay_is_a_404_on_every_new_endpoint(as_bob, screenplay):
    gets = ["revisions/", "revisions/1/", "statistics/", "export/?format=pdf", "export/?format=fountain"]
    posts = {"restore/": {"version": 1, "based_on_version": 1}, "scene_drafts/": {"mode": "create"}}

    for action in gets:
        response = as_bob.get(url(screenplay, action))
        assert response.status_code == 404, action
        assert response.json()["code"] == "not_found"
    for action, body in posts.items():
        assert as_bob.post(url(screenplay, action), body, format="json").status_code == 404, action
    assert history(screenplay)[-1][0] == 1
    assert SceneDraft.objects.count() == 0


def test_the_new_endpoints_need_a_sign_in(api_client, screenplay):
    assert api_client.get(url(screenplay, "revisions/")).status_code == 401
    assert api_client.get(url(screenplay, "export/?format=pdf")).status_code == 401
    assert api_client.post(f"{SCREENPLAYS}import/", {}, format="multipart").status_code == 401
