"""The projects list and the timeline in Chromium: arrange, time, generate, play, export and upload."""

import re
import threading
import uuid
from urllib.parse import urlsplit

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from clips.models import SceneDraft
from clips.providers import media
from clips.services import scene_draft_clip_submit
from credits.models import CreditsLedger
from directorstudio.accounts.models import User
from screenplays.services import screenplay_create, screenplay_scene_drafts_create
from tests.browser.conftest import sign_in_as_writer
from tests.fake_pollo import sample_mp4
from tests.stores import S3StoreUnderTest
from tests.test_clip_jobs_pipeline import PROCRASTINATE_TABLES, run_worker
from tests.test_timeline_pages import finish, make_scenes

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long writer password"
TIMELINE_PATH = re.compile(r"/projects/([0-9a-f-]{36})/$")


@pytest.fixture(autouse=True)
def _media_and_queue(settings, tmp_path, live_server):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLIP_PROVIDER = "local"
    settings.PUBLIC_BASE_URL = live_server.url
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE")


@pytest.fixture
def writer(live_server) -> User:
    return User.objects.create_user("maya@example.com", PASSWORD)


@pytest.fixture
def signed_in(page: Page, writer: User) -> Page:
    sign_in_as_writer(page, writer.email, PASSWORD)
    return page


def work_the_queue() -> None:
    """Run a real worker until the queue is empty, in a thread of its own (Playwright holds this one's event loop)."""
    worker = threading.Thread(target=run_worker)
    worker.start()
    worker.join(timeout=120)


def open_timeline(page: Page, project_id: str) -> None:
    page.goto(f"/projects/{project_id}/")
    expect(page.locator("#timeline-app[data-ready=true]")).to_be_attached()


def scene_list(page: Page):
    return page.get_by_role("list", name="Scenes")


def prompts(page: Page) -> list[str]:
    # textContent, not innerText: a card with content-visibility auto that Chromium has not laid out has no innerText.
    return [text.strip() for text in scene_list(page).locator(".scene-card__prompt").all_text_contents()]


def test_create_a_project_add_scenes_drag_one_and_reload(signed_in: Page, writer):
    page = signed_in
    page.goto("/projects/")
    page.get_by_label("First scene").fill("Opening: rain on a neon diner window")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(TIMELINE_PATH)
    expect(page.locator("#timeline-app[data-ready=true]")).to_be_attached()
    for prompt in ("Maya counts her tips", "Maya runs to her car"):
        page.get_by_role("button", name="Add scene", exact=True).click()
        page.get_by_label("Prompt", exact=True).fill(prompt)
        page.get_by_role("button", name="Save scene").click()
        expect(page.get_by_role("status").filter(has_text="Scene saved.")).to_be_visible()
    items = scene_list(page).get_by_role("listitem")
    expect(items).to_have_count(3)

    source = items.nth(2).locator(".scene-card__prompt").bounding_box()
    target = items.nth(0).locator(".scene-card__prompt").bounding_box()
    page.mouse.move(source["x"] + 20, source["y"] + 10)
    page.mouse.down()
    page.mouse.move(source["x"] - 40, source["y"] + 10, steps=8)
    page.mouse.move(target["x"] + 10, target["y"] + 10, steps=20)
    page.mouse.up()
    expect(page.get_by_role("status")).to_contain_text("Scene moved to position 1")

    page.reload()
    expect(page.locator("#timeline-app[data-ready=true]")).to_be_attached()
    assert prompts(page) == ["Maya runs to her car", "Opening: rain on a neon diner window", "Maya counts her tips"]


def test_keyboard_reorder_and_a_failed_save_puts_the_cards_back(signed_in: Page, writer):
    page = signed_in
    make_scenes(writer, "film", [4, 4, 4])
    open_timeline(page, "film")
    second = scene_list(page).get_by_role("listitem").nth(1)
    second.get_by_role("button", name="Move earlier").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Scene moved to position 1 of 3.")
    assert prompts(page) == ["Scene 2", "Scene 1", "Scene 3"]
    assert page.evaluate("document.activeElement.textContent").strip().endswith("Move earlier") is False  # first card
    assert list(SceneDraft.objects.order_by("order_index").values_list("prompt_text", flat=True)) == [
        "Scene 2",
        "Scene 1",
        "Scene 3",
    ]

    page.route("**/api/v1/scene_drafts/reorder/", lambda route: route.fulfill(status=503, json={"detail": "Down."}))
    scene_list(page).get_by_role("listitem").nth(2).get_by_role("button", name="Move later").is_disabled()
    scene_list(page).get_by_role("listitem").nth(0).get_by_role("button", name="Move later").click()
    expect(page.get_by_role("alert")).to_contain_text("back where they were")
    assert prompts(page) == ["Scene 2", "Scene 1", "Scene 3"]


def test_edit_a_duration_and_the_total_changes(signed_in: Page, writer):
    page = signed_in
    make_scenes(writer, "film", [4, 30])
    open_timeline(page, "film")
    expect(page.locator("#total-time")).to_have_text("0:34")
    card = scene_list(page).get_by_role("listitem").nth(0)
    card.get_by_role("button", name="Edit").click()
    card.get_by_label("Duration (seconds)").fill("700")
    card.get_by_role("button", name="Save scene").click()
    expect(card.get_by_text("Between 0.1 and 600 seconds.")).to_be_visible()
    card.get_by_label("Duration (seconds)").fill("64")
    card.get_by_label("Shot type").fill("close-up")
    card.get_by_role("button", name="Save scene").click()
    expect(page.locator("#total-time")).to_have_text("1:34")
    assert SceneDraft.objects.get(order_index=0).duration == 64


def test_generate_a_clip_watch_it_complete_and_play(signed_in: Page, writer):
    page = signed_in
    make_scenes(writer, "film", [4])
    CreditsLedger.objects.create(user_id=writer.pk, user_key="w" * 64, credits=1)
    open_timeline(page, "film")
    expect(page.locator("#credit-balance")).to_have_text("1")
    page.get_by_role("button", name="Generate clip").click()
    expect(page.locator(".clip-status")).to_contain_text("Queued")
    expect(page.locator("#credit-balance")).to_have_text("0")

    work_the_queue()

    expect(page.locator(".clip-status")).to_have_text("Clip ready", timeout=15_000)
    video = page.get_by_label("Clip of scene 1")
    video.evaluate("v => v.play()")
    page.wait_for_function("() => document.querySelector('.scene-card video').currentTime > 0.3")


def test_a_clip_kept_on_s3_shows_its_poster_and_plays_under_the_policy(
    signed_in: Page, writer, settings, s3_store, page_events
):
    S3StoreUnderTest(settings=settings, store=s3_store, location=f"test-{uuid.uuid4().hex}").use()
    scene = make_scenes(writer, "film", [4])[0]
    CreditsLedger.objects.create(user_id=writer.pk, user_key="w" * 64, credits=1)
    finish(scene_draft_clip_submit(user_id=writer.pk, scene_draft_id=scene.pk), seconds=1.0)
    open_timeline(signed_in, "film")

    signed_in.get_by_label("Clip of scene 1").evaluate("v => v.play()")

    signed_in.wait_for_function("() => document.querySelector('.scene-card video').currentTime > 0.3")
    assert any(url.startswith(s3_store.endpoint_url) for url in page_events.urls)  # served by the store itself
    assert [message for message in page_events.console_errors if "Content Security Policy" in message] == []


def test_no_credit_says_so(signed_in: Page, writer):
    page = signed_in
    make_scenes(writer, "film", [4])
    CreditsLedger.objects.create(user_id=writer.pk, user_key="w" * 64, credits=0)
    open_timeline(page, "film")
    page.get_by_role("button", name="Generate clip").click()
    expect(page.get_by_role("alert")).to_contain_text("No credit left: you have 0 credits")


def test_play_all_advances_through_two_clips(signed_in: Page, writer):
    page = signed_in
    scenes = make_scenes(writer, "film", [1, 4, 1])
    CreditsLedger.objects.create(user_id=writer.pk, user_key="w" * 64, credits=2)
    for scene in (scenes[0], scenes[2]):
        finish(scene_draft_clip_submit(user_id=writer.pk, scene_draft_id=scene.pk), seconds=1.0)
    open_timeline(page, "film")
    page.get_by_role("button", name="Play all").click()
    expect(page.locator("#player-now")).to_contain_text("Scene 1 · clip 1 of 2")
    expect(scene_list(page).locator("[aria-current=true]")).to_have_attribute("data-id", str(scenes[0].pk))
    expect(page.locator("#player-now")).to_contain_text("Scene 3 · clip 2 of 2", timeout=8000)
    expect(scene_list(page).locator("[aria-current=true]")).to_have_attribute("data-id", str(scenes[2].pk))
    expect(page.locator("#player-now")).to_have_text("The end.", timeout=8000)


def test_export_film_gives_a_playable_mp4_of_the_summed_duration(signed_in: Page, writer, tmp_path):
    page = signed_in
    scenes = make_scenes(writer, "film", [4, 4])
    CreditsLedger.objects.create(user_id=writer.pk, user_key="w" * 64, credits=2)
    for scene, seconds in ((scenes[0], 1.0), (scenes[1], 2.0)):
        finish(scene_draft_clip_submit(user_id=writer.pk, scene_draft_id=scene.pk), seconds=seconds)
    open_timeline(page, "film")
    page.get_by_role("button", name="Export film").click()
    page.get_by_role("button", name="Start export").click()
    expect(page.locator("#export-panel")).to_contain_text("%")

    work_the_queue()

    link = page.get_by_role("link", name=re.compile(r"Download film \(0:03\)"))
    expect(link).to_be_visible(timeout=15_000)
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "film.mp4"
    download.value.save_as(saved)
    assert abs(media.probe(saved).duration_seconds - 3.0) < 0.15


def test_upload_a_small_video_and_a_non_video_is_refused(signed_in: Page, writer, tmp_path):
    page = signed_in
    make_scenes(writer, "film", [4])
    open_timeline(page, "film")
    video, text = tmp_path / "street.mp4", tmp_path / "notes.mp4"
    video.write_bytes(sample_mp4(320, 180, 1))
    text.write_text("INT. DINER - NIGHT\n" * 50)
    page.locator("#upload-input").set_input_files(str(video))
    uploads = page.get_by_role("list", name="Uploads", exact=True)
    expect(uploads.get_by_role("listitem")).to_have_count(1, timeout=15_000)
    expect(uploads.get_by_label("Upload 1").locator("video")).to_have_attribute("src", re.compile(r"/uploads/"))

    page.locator("#upload-input").set_input_files(str(text))
    expect(page.locator(".upload-progress__item.is-failed")).to_contain_text("notes.mp4 was refused")
    expect(page.locator(".upload-progress__item.is-failed")).to_contain_text("not a video")
    expect(uploads.get_by_role("listitem")).to_have_count(1)


def test_a_500_scene_project_loads_with_a_bounded_number_of_requests(signed_in: Page, writer, page_events):
    page = signed_in
    SceneDraft.objects.bulk_create(
        SceneDraft(user_id=writer.pk, project_id="epic", order_index=i, prompt_text=f"Shot {i + 1}", duration=4)
        for i in range(500)
    )
    page_events.urls.clear()
    open_timeline(page, "epic")
    expect(scene_list(page).get_by_role("listitem")).to_have_count(500)
    expect(page.locator("#total-time")).to_have_text("33:20")
    api_calls = [url for url in page_events.urls if urlsplit(url).path.startswith("/api/")]
    assert api_calls == []  # the data came with the page
    assert len(page_events.urls) <= 10, page_events.urls
    assert page_events.console_errors == []


def test_cards_are_titled_by_their_scene_headings_and_play_all_names_what_it_skips(signed_in: Page, writer):
    page = signed_in
    script = (
        "INT. DINER - NIGHT\n\nRain lashes the windows.\n\n"
        "EXT. PARKING LOT - CONTINUOUS\n\nMaya runs to her car.\n\n"
        "INT. CAR - NIGHT\n\nThe engine coughs.\n"
    )
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Night Shift", content=script)
    scenes = screenplay_scene_drafts_create(user_id=writer.pk, screenplay_id=screenplay.pk, default_duration=1)
    CreditsLedger.objects.create(user_id=writer.pk, user_key="w" * 64, credits=2)
    for scene in (scenes[0], scenes[2]):
        finish(scene_draft_clip_submit(user_id=writer.pk, scene_draft_id=scene.pk), seconds=1.0)
    open_timeline(page, str(screenplay.pk))

    cards = scene_list(page).get_by_role("listitem")
    expect(cards.get_by_role("heading")).to_have_text(
        ["INT. DINER - NIGHT", "EXT. PARKING LOT - CONTINUOUS", "INT. CAR - NIGHT"]
    )
    expect(cards.first).to_have_accessible_name("Scene 1: INT. DINER - NIGHT")
    assert prompts(page) == ["Rain lashes the windows.", "Maya runs to her car.", "The engine coughs."]

    page.get_by_role("button", name="Play all").click()
    expect(page.locator("#player-now")).to_contain_text("Scene 1: INT. DINER - NIGHT · clip 1 of 2")
    skipped = page.get_by_role("list", name="Skipped, no finished clip yet:")
    expect(skipped.get_by_role("listitem")).to_have_text(["Scene 2: EXT. PARKING LOT - CONTINUOUS"])
    expect(page.locator("#player-now")).to_contain_text("Scene 3: INT. CAR - NIGHT · clip 2 of 2", timeout=8000)


def test_a_hand_written_prompt_that_opens_with_a_heading_is_titled_by_it(signed_in: Page, writer):
    page = signed_in
    SceneDraft.objects.create(
        user_id=writer.pk, project_id="film", order_index=0, prompt_text="EXT. PIER - DAWN. Gulls circle.", duration=4
    )
    SceneDraft.objects.create(
        user_id=writer.pk, project_id="film", order_index=1, prompt_text="Close on the gulls", duration=4
    )
    open_timeline(page, "film")

    cards = scene_list(page).get_by_role("listitem")
    expect(cards.get_by_role("heading")).to_have_text(["EXT. PIER - DAWN"])
    expect(cards).to_have_count(2)
    assert prompts(page) == ["Gulls circle.", "Close on the gulls"]
