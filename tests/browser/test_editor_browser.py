"""The screenplay editor in Chromium: writing, autosave, outline, conflicts, offline, history, files, scene drafts."""

import re
import uuid
from pathlib import Path
from xml.etree import ElementTree

import pytest
from playwright.sync_api import Page, expect

from clips.models import SceneDraft
from directorstudio.accounts.models import User
from screenplays.models import Screenplay, ScreenplaySection
from screenplays.services import screenplay_create, screenplay_statistics
from tests.browser.conftest import sign_in_as_writer

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long writer password"
SCRIPT = """INT. DINER - NIGHT

Rain lashes the windows. MAYA (30s) counts her tips.

MAYA
(to herself)
Forty-two dollars.

EXT. PARKING LOT - CONTINUOUS

Maya runs through the rain to an old car.

CUT TO:

INT. CAR - NIGHT

The engine coughs, then catches.
"""
EDITOR_PATH = re.compile(r"/screenplays/([0-9a-f-]{36})/$")


@pytest.fixture
def writer(live_server) -> User:
    return User.objects.create_user("maya@example.com", PASSWORD)


@pytest.fixture
def signed_in(page: Page, writer: User) -> Page:
    sign_in_as_writer(page, writer.email, PASSWORD)
    return page


def open_editor(page: Page, screenplay: Screenplay) -> None:
    page.goto(f"/screenplays/{screenplay.pk}/")
    expect(page.locator("#editor-app[data-ready=true]")).to_be_attached()


def writing_area(page: Page):
    return page.get_by_role("textbox", name="Screenplay")


def type_at_end(page: Page, text: str) -> None:
    writing_area(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(text)


def status(page: Page):
    return page.get_by_role("status").filter(has_text=re.compile("Saved|Saving|Unsaved|Offline|Error"))


def stored(screenplay: Screenplay) -> Screenplay:
    return Screenplay.objects.get(pk=screenplay.pk)


def test_create_write_autosave_reload_and_outline(signed_in: Page, writer, page_events):
    page = signed_in
    page.goto("/screenplays/")
    page.get_by_label("Title", exact=True).fill("Night Shift")
    page.get_by_role("button", name="New screenplay").click()
    page.wait_for_url(EDITOR_PATH)
    screenplay = Screenplay.objects.get(pk=EDITOR_PATH.search(page.url).group(1))
    expect(page.get_by_label("Title", exact=True)).to_have_value("Night Shift")

    type_at_end(page, SCRIPT)
    expect(status(page)).to_have_text("Unsaved changes")
    expect(status(page)).to_have_text("Saved")

    assert stored(screenplay).content == SCRIPT
    assert stored(screenplay).version == 2
    assert list(
        ScreenplaySection.objects.filter(screenplay=screenplay)
        .order_by("order_index")
        .values_list("heading", flat=True)
    ) == ["INT. DINER - NIGHT", "EXT. PARKING LOT - CONTINUOUS", "INT. CAR - NIGHT"]

    page.reload()
    expect(writing_area(page)).to_contain_text("Forty-two dollars.")
    expect(page.locator("#preview-page .fp-character")).to_have_text("MAYA")
    expect(page.locator("#preview-page .fp-parenthetical")).to_have_text("(to herself)")
    expect(page.locator("#preview-page .fp-transition")).to_have_text("CUT TO:")
    outline = page.get_by_role("region", name="Outline").get_by_role("button")
    expect(outline).to_have_text(["1 INT. DINER - NIGHT", "2 EXT. PARKING LOT - CONTINUOUS", "3 INT. CAR - NIGHT"])

    outline.nth(2).click()
    expect(page.locator(".cm-activeLine")).to_have_text("INT. CAR - NIGHT")
    expect(outline.nth(2)).to_have_attribute("aria-current", "location")
    expect(writing_area(page)).to_be_focused()
    assert page_events.console_errors == []


def test_ctrl_s_saves_at_once_and_tab_enter_move_between_elements(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Keys", content="INT. DINER - NIGHT\n\nMAYA\nHi.\n")
    page = signed_in
    open_editor(page, screenplay)
    writing_area(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("ma")
    expect(page.get_by_role("option", name=re.compile("MAYA"))).to_be_visible()
    page.wait_for_timeout(300)  # the list settles after the last keystroke before Enter picks from it
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Again.")
    page.keyboard.press("Control+s")
    expect(status(page)).to_have_text("Saved")
    assert stored(screenplay).content == "INT. DINER - NIGHT\n\nMAYA\nHi.\n\nMAYA\nAgain."


@pytest.mark.parametrize("choice", ["Keep mine", "Take theirs"])
def test_a_conflict_between_two_pages_is_resolved_each_way(signed_in: Page, writer, choice):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Both", content="INT. DINER - NIGHT\n")
    first = signed_in
    second = first.context.new_page()
    open_editor(first, screenplay)
    open_editor(second, screenplay)

    type_at_end(first, "\nTheirs: the first page wrote this.\n")
    expect(status(first)).to_have_text("Saved")
    type_at_end(second, "\nMine: the second page wrote this.\n")

    dialog = second.get_by_role("dialog", name="Saved elsewhere meanwhile")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("region", name="Your text")).to_contain_text("Mine: the second page wrote this.")
    expect(dialog.get_by_role("region", name="The saved text")).to_contain_text("Theirs: the first page wrote this.")
    if "mine" not in stored(screenplay).content.lower():
        dialog.get_by_role("button", name=choice).click()
    expect(dialog).to_be_hidden()
    expect(status(second)).to_have_text("Saved")

    row = stored(screenplay)
    if choice == "Keep mine":
        assert "Mine: the second page" in row.content and "Theirs" not in row.content
        assert row.version == 3
    else:
        assert "Theirs: the first page" in row.content and "Mine" not in row.content
        assert row.version == 2
        expect(writing_area(second)).to_contain_text("Theirs: the first page wrote this.")


def test_offline_edits_are_kept_and_saved_when_the_connection_returns(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Tunnel", content="INT. TUNNEL - NIGHT\n\n")
    page = signed_in
    open_editor(page, screenplay)

    page.context.set_offline(True)
    type_at_end(page, "No signal down here.\n")
    expect(status(page)).to_have_text("Offline: changes kept in this browser")
    # A function, not an expression: the page's Content-Security-Policy forbids evaluating strings.
    page.wait_for_function("() => Object.keys(localStorage).some((k) => k.startsWith('directorstudio:screenplay:'))")
    assert stored(screenplay).version == 1

    page.context.set_offline(False)
    expect(status(page)).to_have_text("Saved")
    assert stored(screenplay).content == "INT. TUNNEL - NIGHT\n\nNo signal down here.\n"
    assert (
        page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('directorstudio:screenplay:'))") == []
    )


def test_a_kept_draft_is_offered_after_a_reload(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Kept", content="INT. ROOM - DAY\n")
    page = signed_in
    open_editor(page, screenplay)
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)",
        [
            f"directorstudio:screenplay:{screenplay.pk}:1",
            '{"content": "INT. ROOM - DAY\\n\\nKept text.\\n", "title": "Kept", "keptAt": "2026-01-01T00:00:00Z"}',
        ],
    )
    page.reload()
    page.get_by_role("button", name="Restore draft").click()
    expect(status(page)).to_have_text("Saved")
    assert stored(screenplay).content == "INT. ROOM - DAY\n\nKept text.\n"


def test_history_shows_a_version_and_restores_it(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Drafts", content="INT. FIRST DRAFT - DAY\n")
    page = signed_in
    open_editor(page, screenplay)
    type_at_end(page, "\nA line that will be undone.\n")
    expect(status(page)).to_have_text("Saved")

    page.get_by_role("button", name="History").click()
    page.get_by_role("button", name=re.compile(r"^Version 1\b")).click()
    dialog = page.get_by_role("dialog", name="Version 1")
    expect(dialog).to_contain_text("A line that will be undone.")
    dialog.get_by_role("button", name="Restore version 1").click()

    expect(writing_area(page)).not_to_contain_text("A line that will be undone.")
    expect(page.get_by_role("button", name=re.compile(r"^Version 3\b"))).to_be_visible()
    row = stored(screenplay)
    assert (row.version, row.content) == (3, "INT. FIRST DRAFT - DAY\n")


FDX = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<FinalDraft DocumentType="Script" Template="No" Version="1">
  <Content>
    <Paragraph Type="Scene Heading"><Text>INT. LIGHTHOUSE - NIGHT</Text></Paragraph>
    <Paragraph Type="Action"><Text>The lamp turns.</Text></Paragraph>
    <Paragraph Type="Character"><Text>KEEPER</Text></Paragraph>
    <Paragraph Type="Dialogue"><Text>Ships ahead.</Text></Paragraph>
  </Content>
</FinalDraft>
"""


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "lighthouse.fountain",
            "Title: The Lighthouse\n\nINT. LIGHTHOUSE - NIGHT\n\nThe lamp turns.\n",
            "The lamp turns.",
        ),
        ("lighthouse.txt", "INT. LIGHTHOUSE - NIGHT\n\nThe lamp turns.\n", "The lamp turns."),
        ("lighthouse.fdx", FDX, "Ships ahead."),
    ],
)
def test_import_each_format_lands_in_the_editor(signed_in: Page, writer, tmp_path: Path, name, text, expected):
    page = signed_in
    path = tmp_path / name
    path.write_text(text)
    page.goto("/screenplays/")
    page.get_by_label("Fountain, text or Final Draft file").set_input_files(path)
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(EDITOR_PATH)
    expect(writing_area(page)).to_contain_text(expected)
    expect(page.get_by_role("region", name="Outline").get_by_role("button")).to_have_text(["1 INT. LIGHTHOUSE - NIGHT"])
    assert Screenplay.objects.filter(user_id=writer.pk).count() == 1


def test_a_bad_import_says_why_and_stores_nothing(signed_in: Page, writer, tmp_path: Path):
    page = signed_in
    path = tmp_path / "broken.fdx"
    path.write_text("<FinalDraft><Content><Paragraph")
    page.goto("/screenplays/")
    page.get_by_label("Fountain, text or Final Draft file").set_input_files(path)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("“broken.fdx” was not imported.")
    assert Screenplay.objects.filter(user_id=writer.pk).count() == 0


def test_delete_asks_first(signed_in: Page, writer):
    screenplay_create(user_id=writer.pk, title="Doomed", content="")
    page = signed_in
    page.goto("/screenplays/")
    page.get_by_role("button", name="Delete Doomed").click()
    dialog = page.get_by_role("dialog", name="Delete “Doomed”?")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("No screenplays yet")).to_be_visible()
    assert Screenplay.objects.filter(user_id=writer.pk).count() == 0


def test_each_export_downloads_a_valid_file(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Night Shift", content=SCRIPT * 8)
    page = signed_in
    open_editor(page, screenplay)
    files = {}
    for label in ("PDF", "FDX", "Fountain"):
        with page.expect_download() as download:
            page.get_by_role("link", name=label, exact=True).click()
        files[label] = Path(download.value.path()).read_bytes()
        assert download.value.suggested_filename.startswith("night-shift.")

    assert files["PDF"].startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", files["PDF"]))
    assert pages == screenplay_statistics(screenplay=stored(screenplay))["pages"]
    expect(page.locator("#toolbar-pages")).to_have_text(f"{pages} pages")
    assert ElementTree.fromstring(files["FDX"]).tag == "FinalDraft"
    assert files["Fountain"].decode() == SCRIPT * 8


def test_create_scene_drafts_then_replace_or_append_and_open_the_timeline(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Night Shift", content=SCRIPT)
    page = signed_in
    open_editor(page, screenplay)

    page.get_by_role("button", name="Create scene drafts").click()
    dialog = page.get_by_role("dialog", name="Create scene drafts")
    dialog.get_by_label("Seconds per scene").fill("6")
    dialog.get_by_role("button", name="Create scene drafts").click()
    expect(dialog.get_by_role("status")).to_have_text("3 scene drafts are on the timeline.")
    drafts = SceneDraft.objects.filter(user_id=writer.pk, project_id=str(screenplay.pk))
    assert sorted(drafts.values_list("duration", flat=True)) == [6.0, 6.0, 6.0]
    dialog.get_by_role("button", name="Close").click()

    page.get_by_role("button", name="Create scene drafts").click()
    dialog.get_by_role("button", name="Create scene drafts").click()
    expect(dialog).to_contain_text("already has scene drafts")
    dialog.get_by_role("button", name="Append").click()
    expect(dialog.get_by_role("status")).to_have_text("6 scene drafts are on the timeline.")
    assert drafts.count() == 6

    dialog.get_by_role("link", name="Open timeline").click()
    page.wait_for_url(f"**/projects/{uuid.UUID(str(screenplay.pk))}/")


def test_merge_by_hand_holds_both_texts_and_saves_the_merge_on_top_of_the_current_version(
    signed_in: Page, writer, page_events
):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Both", content="INT. DINER - NIGHT\n\nThe door.\n")
    first = signed_in
    second = first.context.new_page()
    open_editor(first, screenplay)
    open_editor(second, screenplay)

    type_at_end(first, "\nTheirs: the rain stops.\n")
    expect(status(first)).to_have_text("Saved")
    type_at_end(second, "\nMine: the rain goes on.\n")
    dialog = second.get_by_role("dialog", name="Saved elsewhere meanwhile")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Merge by hand").click()

    expect(dialog).to_be_hidden()
    expect(status(second)).to_have_text("Unsaved changes: merge, then save (Ctrl+S)")
    lines = second.locator(".cm-line")
    expect(lines).to_have_text(
        [
            "INT. DINER - NIGHT",
            "",
            "The door.",
            "",
            "[[<<< Yours]]",
            "Mine: the rain goes on.",
            "[[=== Version 2]]",
            "Theirs: the rain stops.",
            "[[>>>]]",
            "",
        ]
    )
    expect(writing_area(second)).to_be_focused()
    second.wait_for_timeout(2500)  # longer than the autosave delay: a merge under way is never saved by itself
    assert stored(screenplay).version == 2

    # The writer keeps both lines: the first and last markers go with their lines, the middle one leaves a blank.
    for marker, join_with_previous in (("[[<<< Yours]]", True), ("[[=== Version 2]]", False), ("[[>>>]]", True)):
        lines.filter(has_text=marker).click()
        second.keyboard.press("Home")
        second.keyboard.press("Shift+End")
        second.keyboard.press("Backspace")
        if join_with_previous:
            second.keyboard.press("Backspace")
    second.keyboard.press("Control+s")
    expect(status(second)).to_have_text("Saved")

    row = stored(screenplay)
    assert row.content == "INT. DINER - NIGHT\n\nThe door.\n\nMine: the rain goes on.\n\nTheirs: the rain stops.\n"
    assert row.version == 3
    assert second.evaluate("() => Object.keys(localStorage).filter((key) => key.startsWith('directorstudio:'))") == []
    assert page_events.console_errors == []


def test_the_statistics_panel_shows_the_servers_numbers_after_a_save(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Counts", content=SCRIPT)
    page = signed_in
    open_editor(page, screenplay)
    page.get_by_role("button", name="Statistics").click()
    panel = page.get_by_role("region", name="Statistics")
    expect(panel.locator("#stat-scenes")).to_have_text("3")

    type_at_end(page, "\nEXT. HARBOUR - DAY\n\nLEO\nYou came back.\n\nMAYA\nI never left.\n")
    page.keyboard.press("Control+s")
    expect(status(page)).to_have_text("Saved")
    response = page.request.get(f"/api/v1/screenplays/{screenplay.pk}/statistics/")
    assert response.ok
    stats = response.json()
    assert stats["version"] == 2
    assert stats["scenes"] == 4
    assert stats["characters"] == [{"name": "MAYA", "lines": 2}, {"name": "LEO", "lines": 1}]

    def joined(counts: dict) -> str:
        return " · ".join(f"{name} {count}" for name, count in counts.items())

    assert "INT 2" in joined(stats["int_ext"]) and "EXT 2" in joined(stats["int_ext"])
    assert "DAY 1" in joined(stats["day_night"]) and "NIGHT 2" in joined(stats["day_night"])
    expect(panel.locator("#stat-scenes")).to_have_text("4")
    expect(panel.locator("#stat-words")).to_have_text(f"{stats['words']:,}")
    expect(panel.locator("#stat-pages")).to_have_text(str(stats["pages"]))
    expect(panel.locator("#stat-time")).to_have_text(f"{round(stats['running_time_seconds'] / 60)} min")
    expect(panel.locator("#stat-int-ext")).to_have_text(joined(stats["int_ext"]))
    expect(panel.locator("#stat-day-night")).to_have_text(joined(stats["day_night"]))
    rows = panel.get_by_role("table", name="Characters").locator("tbody tr")
    expect(rows).to_have_text([re.compile(r"MAYA\s*2"), re.compile(r"LEO\s*1")])
    expect(page.locator("#toolbar-pages")).to_have_text(
        f"{stats['pages']} {'page' if stats['pages'] == 1 else 'pages'}"
    )


def test_autocomplete_offers_heading_prefixes_locations_and_times_of_day(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Places", content=SCRIPT)
    page = signed_in
    open_editor(page, screenplay)
    writing_area(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    options = page.get_by_role("listbox").get_by_role("option")

    page.keyboard.type("IN")
    expect(options.filter(has_text="INT.").first).to_be_visible()
    expect(options.filter(has_text="scene heading").first).to_be_visible()
    page.keyboard.type("T. ")
    expect(options.filter(has_text="DINER")).to_be_visible()
    expect(options.filter(has_text="PARKING LOT")).to_be_visible()
    expect(options.filter(has_text="CAR")).to_be_visible()
    page.keyboard.type("PARK")
    expect(options).to_have_count(1)
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    expect(page.locator(".cm-activeLine")).to_have_text("INT. PARKING LOT - ")
    expect(options.filter(has_text="NIGHT")).to_be_visible()
    page.keyboard.press("Escape")

    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("EXT. DINER")
    page.keyboard.type(" - ")
    expect(options.filter(has_text="DAY").first).to_be_visible()
    expect(options.filter(has_text="NIGHT")).to_be_visible()
    page.keyboard.type("NI")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    expect(page.locator(".cm-activeLine")).to_have_text("EXT. DINER - NIGHT")


@pytest.mark.parametrize("how", ["clipboard", "insert_text"])
def test_pasted_text_that_begins_with_a_newline_keeps_it(signed_in: Page, writer, how):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Paste", content="INT. ROOM - DAY\n")
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_editor(page, screenplay)
    writing_area(page).click()
    page.keyboard.press("Control+End")
    pasted = "\nMAYA\nHello.\n"
    if how == "clipboard":
        page.evaluate("(text) => navigator.clipboard.writeText(text)", pasted)
        page.keyboard.press("Control+v")
    else:
        page.keyboard.insert_text(pasted)
    expect(page.locator(".cm-line")).to_have_text(["INT. ROOM - DAY", "", "MAYA", "Hello.", ""])
    page.keyboard.press("Control+s")
    expect(status(page)).to_have_text("Saved")
    assert stored(screenplay).content == "INT. ROOM - DAY\n" + pasted


def test_the_toolbar_is_operable_by_keyboard_with_a_visible_focus_ring(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Keys", content=SCRIPT)
    page = signed_in
    open_editor(page, screenplay)
    page.get_by_label("Title", exact=True).focus()

    def tab_to(name: str) -> None:
        for _ in range(30):
            page.keyboard.press("Tab")
            focused = page.evaluate("() => document.activeElement.textContent.trim()")
            ring = page.evaluate(
                "() => { const style = getComputedStyle(document.activeElement);"
                " return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2; }"
            )
            assert ring, f"{focused!r} has no visible focus ring"
            if focused == name:
                return
        pytest.fail(f"Tab never reached {name}")

    tab_to("History")
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="History")).to_be_visible()
    expect(page.get_by_role("button", name="History")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name=re.compile(r"^Version 1\b"))).to_be_visible()
    tab_to("Statistics")
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="Statistics")).to_be_visible()
    expect(page.locator("#stat-scenes")).to_have_text("3")
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="Statistics")).to_be_hidden()


SHOTS = Path("/tmp/shots")
TOOLBAR_ROWS = """() => {
  const toolbar = document.querySelector(".editor-toolbar");
  const boxes = [...toolbar.children].map((child) => child.getBoundingClientRect()).filter((box) => box.width > 0);
  const middles = boxes.map((box) => box.top + box.height / 2);
  const overlaps = boxes.slice(1).filter((box, index) => box.left < boxes[index].right - 1).length;
  const status = document.getElementById("save-status");
  return {
    spread: Math.max(...middles) - Math.min(...middles),
    overflow: toolbar.scrollWidth - toolbar.clientWidth,
    overlaps,
    title: document.getElementById("screenplay-title").getBoundingClientRect().width,
    statusClipped: status.scrollWidth > status.clientWidth + 1 || status.scrollHeight > status.clientHeight + 1,
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (768, 1024)])
def test_the_toolbar_keeps_to_one_row_at_desktop_and_tablet_width(signed_in: Page, writer, width, height, scheme):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="The Long Night Shift", content=SCRIPT * 3)
    page = signed_in
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(color_scheme=scheme)
    open_editor(page, screenplay)
    expect(page.locator("#toolbar-pages")).to_have_text(re.compile(r"\d+ pages?"))
    rows = page.evaluate(TOOLBAR_ROWS)
    assert rows["spread"] <= 4, f"the toolbar wraps at {width} px: {rows}"
    assert rows["overflow"] <= 0, f"the toolbar overflows at {width} px: {rows}"
    assert rows["overlaps"] == 0 and not rows["statusClipped"], f"toolbar items overlap at {width} px: {rows}"
    assert rows["title"] >= 100, f"the title field is too narrow at {width} px: {rows}"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"editor-polish-{width}x{height}-{scheme}.png")

    more = page.get_by_role("button", name="More")
    if width > 1000:
        expect(more).to_be_hidden()
        expect(page.get_by_role("link", name="PDF", exact=True)).to_be_visible()
        return
    expect(more).to_be_visible()
    expect(page.get_by_role("link", name="PDF", exact=True)).to_be_hidden()
    more.click()
    expect(page.get_by_role("menu", name="More")).to_be_visible()
    page.screenshot(path=SHOTS / f"editor-polish-{width}x{height}-{scheme}-more.png")


def test_at_tablet_width_the_more_menu_works_by_keyboard(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Keys", content=SCRIPT)
    page = signed_in
    page.set_viewport_size({"width": 768, "height": 1024})
    open_editor(page, screenplay)
    more = page.get_by_role("button", name="More")
    expect(more).to_have_attribute("aria-haspopup", "menu")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu", name="More")
    expect(menu).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")
    items = menu.get_by_role("menuitem")
    expect(items).to_have_text(["PDF", "FDX", "Fountain", "Create scene drafts", re.compile("Keyboard")])
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(items.last).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.first).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more).to_be_focused()
    expect(more).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("ArrowUp")
    expect(items.last).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(items.nth(3)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Create scene drafts")).to_be_visible()
    expect(menu).to_be_hidden()
    page.keyboard.press("Escape")
    expect(more).to_be_focused()  # not the hidden item the dialog was opened from
    page.keyboard.press(" ")
    expect(items.first).to_be_focused()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".pdf")
