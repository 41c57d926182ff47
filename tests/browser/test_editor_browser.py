"""The screenplay editor in Chromium: writing, autosave, outline, conflicts, offline, history, files, scene drafts."""

import re
import uuid
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from screenplain.export.pdf import create_default_settings

from clips.models import SceneDraft
from directorstudio.accounts.models import User
from screenplays.models import Screenplay, ScreenplayRevision, ScreenplaySection
from screenplays.services import screenplay_create, screenplay_statistics, screenplay_update
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
  // The "More" group is display: contents at desktop width: its items are the toolbar's.
  const items = [...toolbar.children].flatMap(
    (child) => (getComputedStyle(child).display === "contents" ? [...child.children] : [child]),
  );
  const boxes = items.map((child) => child.getBoundingClientRect()).filter((box) => box.width > 0);
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
    expect(items).to_have_text(["PDF", "FDX", "Fountain", "Create scene drafts", "⌨ Keyboard shortcuts"])
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


def test_outline_entries_show_whole_headings_that_share_a_long_prefix(signed_in: Page, writer):
    headings = [
        "INT. RELAY STATION KESTREL NORTH - CONTROL ROOM - NIGHT",
        "INT. RELAY STATION KESTREL NORTH - ENGINE ROOM - NIGHT",
    ]
    assert headings[0][:30] == headings[1][:30]
    content = "".join(f"{heading}\n\nThe hum of machines.\n\n" for heading in headings)
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Relay", content=content)
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 800})
    open_editor(page, screenplay)

    entries = page.get_by_role("region", name="Outline").get_by_role("button")
    expect(entries).to_have_text([f"1 {headings[0]}", f"2 {headings[1]}"])
    for entry, heading in zip(entries.all(), headings, strict=True):
        expect(entry).to_have_attribute("title", heading)
        expect(entry).to_have_accessible_name(re.compile(re.escape(heading)))
        # Nothing of the heading is clipped: the text fits its box and the box fits the panel.
        assert entry.evaluate("(button) => button.scrollWidth <= button.clientWidth")
        assert entry.evaluate(
            "(button) => button.getBoundingClientRect().right"
            " <= button.closest('.side-panels').getBoundingClientRect().right"
        )


def test_the_page_count_says_counting_after_a_save_then_shows_the_new_count(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Counts", content=SCRIPT)
    page = signed_in
    open_editor(page, screenplay)
    pages = page.locator("#toolbar-pages")
    expect(pages).to_have_text("1 page")
    held = []
    page.route("**/statistics/", lambda route: held.append(route))

    type_at_end(page, "".join(f"\nINT. ROOM {number} - DAY\n\nMaya waits in room {number}.\n" for number in range(40)))
    page.keyboard.press("Control+s")
    expect(status(page)).to_have_text("Saved")
    expect(pages).to_have_text("counting…")
    assert held
    for route in held:
        route.continue_()

    counted = screenplay_statistics(screenplay=stored(screenplay))["pages"]
    assert counted > 1
    expect(pages).to_have_text(f"{counted} pages")


def test_enter_twice_after_a_heading_leaves_one_blank_line_unless_smart_enter_is_off(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Keys", content="INT. DINER - NIGHT")
    page = signed_in
    open_editor(page, screenplay)
    writing_area(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Rain.")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("EXT. STREET - DAY")
    page.keyboard.press("Control+s")
    expect(status(page)).to_have_text("Saved")
    assert stored(screenplay).content == "INT. DINER - NIGHT\n\nRain.\n\nEXT. STREET - DAY"

    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(page.locator("#keyboard-help")).to_contain_text("a second Enter adds no other")
    smart_enter = page.get_by_role("checkbox", name="Smart Enter")
    expect(smart_enter).to_be_checked()
    smart_enter.uncheck()
    page.reload()
    expect(page.locator("#editor-app[data-ready=true]")).to_be_attached()
    expect(page.get_by_role("checkbox", name="Smart Enter", include_hidden=True)).not_to_be_checked()
    writing_area(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")  # a plain line break now: no blank line of its own
    page.keyboard.type("Sun.")
    page.keyboard.press("Control+s")
    expect(status(page)).to_have_text("Saved")
    assert stored(screenplay).content == "INT. DINER - NIGHT\n\nRain.\n\nEXT. STREET - DAY\nSun."


def preview_font_px(page: Page) -> float:
    return page.locator("#preview-page").evaluate("(page) => parseFloat(getComputedStyle(page).fontSize)")


def test_preview_zoom_changes_the_scale_and_survives_a_reload(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Zoom", content=SCRIPT)
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 800})
    open_editor(page, screenplay)
    zoom = page.get_by_role("group", name="Preview zoom")
    expect(zoom.get_by_role("status", name="Zoom")).to_have_text(re.compile(r"^Fit, \d+ %$"))
    fitted = preview_font_px(page)

    zoom.get_by_role("button", name="100 %").click()
    expect(page.locator("#zoom-level")).to_have_text("100 %")
    assert preview_font_px(page) == 16
    zoom.get_by_role("button", name="Zoom in").click()
    expect(page.locator("#zoom-level")).to_have_text("110 %")
    assert preview_font_px(page) == pytest.approx(17.6)

    page.reload()
    expect(page.locator("#editor-app[data-ready=true]")).to_be_attached()
    expect(page.locator("#zoom-level")).to_have_text("110 %")
    assert preview_font_px(page) == pytest.approx(17.6)

    writing_area(page).click()
    page.keyboard.press("Alt+Shift+Minus")
    page.keyboard.press("Alt+Shift+Minus")
    expect(page.locator("#zoom-level")).to_have_text("90 %")
    page.keyboard.press("Alt+Shift+Digit0")
    expect(page.locator("#zoom-level")).to_have_text(re.compile(r"^Fit, \d+ %$"))
    assert preview_font_px(page) == pytest.approx(fitted)
    expect(writing_area(page)).to_have_text(re.compile("The engine coughs, then catches.$"))  # nothing typed


def test_the_preview_and_the_outline_hide_and_show_by_keyboard(signed_in: Page, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Room", content=SCRIPT)
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 800})
    open_editor(page, screenplay)
    preview = page.get_by_role("region", name="Preview")
    outline = page.get_by_role("region", name="Outline")
    write_width = writing_area(page).bounding_box()["width"]

    writing_area(page).click()
    page.keyboard.press("Alt+Shift+KeyP")
    expect(preview).to_be_hidden()
    expect(page.get_by_role("button", name="Preview", exact=True)).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Alt+Shift+KeyO")
    expect(outline).to_be_hidden()
    assert writing_area(page).bounding_box()["width"] > write_width
    expect(writing_area(page)).to_be_focused()

    page.reload()
    expect(page.locator("#editor-app[data-ready=true]")).to_be_attached()
    expect(preview).to_be_hidden()
    expect(outline).to_be_hidden()
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(preview).to_be_visible()
    page.keyboard.press("Alt+Shift+KeyO")
    expect(outline).to_be_visible()


TITLED = """Title: Night Shift
Credit: written by
Author: Maya Lind
Draft date: 7 December 2026
Contact: maya@example.com
Notes: never printed

INT. DINER - NIGHT

Rain lashes the windows.
"""


def test_the_preview_sets_the_title_page_and_a_scene_as_the_pdf_does(signed_in: Page, writer):
    pdf = create_default_settings()
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Night Shift", content=TITLED)
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 800})
    open_editor(page, screenplay)
    preview = page.locator("#preview-page")

    def style(locator, name: str) -> str:
        return locator.evaluate(f"(element) => getComputedStyle(element)['{name}']")

    title = preview.locator("[data-key=title]")
    expect(title).to_have_text("Night Shift")  # as typed, as the PDF prints it
    assert style(title, "textTransform") == "none" and "underline" not in style(title, "textDecorationLine")
    assert style(title, "textAlign") == "center"
    size = float(style(preview, "fontSize").removesuffix("px"))
    title_size = float(style(title, "fontSize").removesuffix("px"))
    assert title_size == pytest.approx(size * pdf.title_style.fontSize / pdf.font_size)
    assert style(title, "fontWeight") == "400"
    # The draft date and the contact sit at the lower left, where the action's lines start.
    action_left = preview.locator(".fp-action").bounding_box()["x"]
    for key in ("draft date", "contact"):
        entry = preview.locator(f'[data-key="{key}"]')
        assert entry.bounding_box()["x"] == pytest.approx(action_left, abs=1)
        assert style(entry, "textAlign") in ("left", "start")
    assert entry.bounding_box()["y"] > title.bounding_box()["y"]
    expect(preview).not_to_contain_text("never printed")
    heading = preview.locator(".fp-scene_heading")
    expect(heading).to_have_text("INT. DINER - NIGHT")
    assert pdf.strong_slugs is False and style(heading, "fontWeight") == "400"


def test_history_says_what_restoring_removes_and_brings_back_with_local_dates(browser, live_server, writer):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Drafts", content="INT. FIRST DRAFT - DAY\n")
    screenplay_update(
        screenplay_id=screenplay.pk,
        based_on_version=1,
        values={"content": "INT. FIRST DRAFT - DAY\n\nA new line.\n"},
        saved_by=writer.pk,
        source="editor",
    )
    context = browser.new_context(base_url=live_server.url, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in_as_writer(page, writer.email, PASSWORD)
    open_editor(page, screenplay)

    page.get_by_role("button", name="History").click()
    saved = ScreenplayRevision.objects.get(screenplay=screenplay, version=1).created_at
    local = saved.astimezone(ZoneInfo("Europe/Berlin"))
    first = page.get_by_role("button", name=re.compile(r"^Version 1\b"))
    expect(first).to_contain_text(f"{local:%d.%m.%Y, %H:%M}")
    first.click()
    dialog = page.get_by_role("dialog", name="Version 1")
    expect(dialog).to_contain_text(f"saved {local:%d.%m.%Y, %H:%M} from the app")
    expect(dialog).to_contain_text("What restoring this version changes in your current text")
    legend = dialog.locator(".diff-legend")
    expect(legend).to_have_text("\N{MINUS SIGN} removes a line of your current text + brings back a line of version 1")
    removed = dialog.locator(".diff-del").filter(has_text="A new line.")
    expect(removed).to_contain_text("Restoring removes: ")
    context.close()
