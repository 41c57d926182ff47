"""The Fountain scanner: scenes with their spans, statistics and the Final Draft converter (no Django, no database)."""

import pytest

from screenplays.fountain import NotFinalDraft, fdx_to_fountain, normalise_cue, scan_scenes, statistics

SCRIPT = """Title: Night Shift
Author: Ann Writer

INT. DINER - NIGHT #1A#

Rain hammers the window. [[fix the weather]]

/* An old scene
EXT. CUT - DAY
*/

MARY (V.O.)
(quietly)
Hello there, friend.

BOB ^
Hi.

CUT TO:

# ACT TWO

= The pier at dawn.

EXT. PIER - DAY

Waves don't stop.

@McCLANE (CONT'D)
Yippee.

MARY
Again.

INT./EXT. CAR - NIGHT

...

.FLASHBACK

I/E TRUCK - MORNING

Engines.
"""


def test_scenes_have_their_headings_without_numbers_and_their_spans():
    scenes = scan_scenes(SCRIPT)

    assert [scene.heading for scene in scenes] == [
        "INT. DINER - NIGHT",
        "EXT. PIER - DAY",
        "INT./EXT. CAR - NIGHT",
        "FLASHBACK",
        "I/E TRUCK - MORNING",
    ]
    first = scenes[0]
    assert first.scene_number == "1A"
    assert (first.start_line, first.end_line) == (4, 24)
    assert first.content.startswith("Rain hammers the window. [[fix the weather]]")
    assert first.content.endswith("= The pier at dawn.")
    assert scenes[1].start_line == 25
    assert scenes[1].content == "Waves don't stop.\n\n@McCLANE (CONT'D)\nYippee.\n\nMARY\nAgain."
    assert scenes[2].content == "..."
    assert scenes[-1].end_line == len(SCRIPT.split("\n"))
    assert scenes[0].first_action == "Rain hammers the window."


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("INT. HOUSE - DAY", "INT. HOUSE - DAY"),
        ("EXT. HOUSE - DAY", "EXT. HOUSE - DAY"),
        ("INT./EXT. HOUSE - DAY", "INT./EXT. HOUSE - DAY"),
        ("INT/EXT HOUSE - DAY", "INT/EXT HOUSE - DAY"),
        ("I/E HOUSE - DAY", "I/E HOUSE - DAY"),
        ("EST. HOUSE - DAY", "EST. HOUSE - DAY"),
        ("int. house - day", "int. house - day"),
        (".SNIPER SCOPE POV", "SNIPER SCOPE POV"),
        ("INT. HOUSE - DAY #12A#", "INT. HOUSE - DAY"),
        ("INT. HOUSE - DAY [[a note]]", "INT. HOUSE - DAY"),
        ("...", None),
        ("INTERIOR DESIGN", None),
        ("Internally, she screams.", None),
        ("EXTRA EXTRA", None),
    ],
)
def test_what_is_a_scene_heading(line, heading):
    scenes = scan_scenes(f"Some action.\n\n{line}\n\nMore action.\n")

    assert [scene.heading for scene in scenes] == ([heading] if heading else [])


def test_a_heading_needs_blank_lines_around_it_and_boneyard_hides_headings():
    assert scan_scenes("Action.\nINT. HOUSE - DAY\nMore.\n") == []
    assert scan_scenes("/*\n\nINT. HOUSE - DAY\n\n*/\n") == []
    assert scan_scenes("") == []


def test_content_before_the_first_heading_and_windows_line_endings():
    scenes = scan_scenes("FADE IN:\r\n\r\nINT. HOUSE - DAY\r\n\r\nDust.\r\n")

    assert [(scene.heading, scene.content, scene.start_line) for scene in scenes] == [("INT. HOUSE - DAY", "Dust.", 3)]


def test_statistics_count_scenes_words_speakers_and_places():
    counts = statistics(SCRIPT)

    assert counts.scenes == 5
    # Rain hammers the window (4), Hello there friend (3), Hi (1), Waves don't stop (3), Yippee (1),
    # Again (1), ... (0), Engines (1): no notes, boneyard, cues, parentheticals, synopses or sections.
    assert counts.words == 14
    assert [(c.name, c.lines) for c in counts.characters] == [("MARY", 2), ("BOB", 1), ("McCLANE", 1)]
    assert counts.character_names == ["MARY", "BOB", "McCLANE"]
    assert counts.int_ext == {"INT": 1, "EXT": 1, "INT/EXT": 2}
    assert counts.day_night == {"DAY": 1, "NIGHT": 2, "MORNING": 1}
    assert counts.locations == ["DINER", "PIER", "CAR", "TRUCK"]


def test_statistics_of_an_empty_script():
    counts = statistics("")

    assert (counts.scenes, counts.words, counts.characters, counts.locations) == (0, 0, [], [])
    assert counts.int_ext == {"INT": 0, "EXT": 0, "INT/EXT": 0}
    assert counts.day_night == {"DAY": 0, "NIGHT": 0}


@pytest.mark.parametrize(
    ("cue", "name"),
    [
        ("MARY", "MARY"),
        ("MARY (V.O.)", "MARY"),
        ("MARY (CONT'D)", "MARY"),
        ("MARY (O.S.) (CONT'D)", "MARY"),
        ("BOB ^", "BOB"),
        ("@McCLANE", "McCLANE"),
        ("  DR. NO  ", "DR. NO"),
    ],
)
def test_cue_normalisation(cue, name):
    assert normalise_cue(cue) == name


FDX = b"""<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<FinalDraft DocumentType="Script" Template="No" Version="4">
  <Content>
    <Paragraph Type="Scene Heading" Number="1"><Text>int. diner - night</Text></Paragraph>
    <Paragraph Type="Action"><Text>Rain on the </Text><Text Style="Bold">window</Text><Text>.</Text></Paragraph>
    <Paragraph Type="Character"><Text>MARY</Text></Paragraph>
    <Paragraph Type="Parenthetical"><Text>(quietly)</Text></Paragraph>
    <Paragraph Type="Dialogue"><Text>Hello.</Text></Paragraph>
    <Paragraph Type="Transition"><Text>CUT TO:</Text></Paragraph>
    <Paragraph Type="Scene Heading"><Text>Flashback</Text></Paragraph>
    <Paragraph Type="Shot"><Text>close on the cup</Text></Paragraph>
    <Paragraph Type="General"><Text>BANG
The cups shake.</Text></Paragraph>
    <Paragraph Type="Transition"><Text>Fade out</Text></Paragraph>
  </Content>
  <TitlePage><Content>
    <Paragraph><Text>Night Shift</Text></Paragraph>
    <Paragraph><Text>Written by</Text></Paragraph>
    <Paragraph><Text>Ann Writer</Text></Paragraph>
  </Content></TitlePage>
</FinalDraft>
"""


def test_final_draft_paragraphs_become_fountain():
    text, title = fdx_to_fountain(FDX)

    assert title == "Night Shift"
    assert text == (
        "Title: Night Shift\nCredit: Written by\nAuthor: Ann Writer\n\n"
        "INT. DINER - NIGHT #1#\n\nRain on the window.\n\nMARY\n(quietly)\nHello.\n\nCUT TO:\n\n"
        ".FLASHBACK\n\nCLOSE ON THE CUP\n\n!BANG\nThe cups shake.\n\n> FADE OUT\n"
    )
    assert [scene.heading for scene in scan_scenes(text)] == ["INT. DINER - NIGHT", "FLASHBACK"]
    assert [(c.name, c.lines) for c in statistics(text).characters] == [("MARY", 1)]


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<FinalDraft><Content><Paragraph><Text>&b;</Text></Paragraph></Content></FinalDraft>",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<FinalDraft><Content><Paragraph><Text>&x;</Text></Paragraph></Content></FinalDraft>",
        b"<FinalDraft><Content>",
        b"not xml at all",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"<html><body>Hi</body></html>",
    ],
    ids=["billion laughs", "external entity", "truncated", "text", "binary", "other xml"],
)
def test_hostile_or_foreign_files_are_refused(data):
    with pytest.raises(NotFinalDraft):
        fdx_to_fountain(data)
