"""A line scanner for Fountain (https://fountain.io/syntax): scenes, their spans, and statistics; no Django.

The scanner reads a script the way screenplain (the PDF and FDX exporter) does: paragraphs are
runs of non-blank lines; a scene heading is a one-line paragraph starting with INT, EXT, EST,
INT./EXT., INT/EXT or I/E followed by a dot or a space, or forced with a leading `.` (but not
`...`), with an optional scene number `#12A#`. Boneyard `/* */` and notes `[[ ]]` are blanked
out before anything is classified (line numbers are kept), synopses `=` and sections `#` are
neither action nor dialogue, and a title page (`Key: value` lines at the very top) is skipped.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
_NOTE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_TITLE_KEY = re.compile(r"([^:]+):\s*(.*)")
_TITLE_VALUE = re.compile(r"(?:\s{3,}|\t)(.+)")
_HEADING_PREFIX = re.compile(r"^(INT\.?/EXT\.?|I/E|INT|EXT|EST)[ .]", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"^(.*?)\s*#([\w\-.]+)#\s*$")
_SECTION = re.compile(r"^#{1,6}\s*[^#]")
_PAGE_BREAK = re.compile(r"^={3,}$")
_CENTERED = re.compile(r"^\s*>.*<\s*$")
_TRANSITION = re.compile(r"^(>?)\s*(.+?)(TO:)?$")
_EXTENSION = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")
# The time of day follows the last " - " of a heading (INT. DINER - NIGHT).
_TIME_SEPARATOR = re.compile(r"\s+[-\u2013\u2014]\s+")
# Action writes in capitals a character's first appearance ("MAYA (30s) counts") and the props and
# sounds that matter ("she hides the ENVELOPE"): runs of capitalised words, not followed by lower case.
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9'\u2019-]*(?:[ \t]+[A-Z][A-Z0-9'\u2019-]*)*\b(?![a-z])")
_PROMPT_HEADING = re.compile(r"^((?:INT\.?/EXT|I/E|INT|EXT|EST)\.?\s.*?)(?:\.\s|\.?$)", re.IGNORECASE)
_NOT_ELEMENTS = frozenset(
    {"INT", "EXT", "EST", "DAY", "NIGHT", "CONTINUOUS", "LATER", "CUT", "TO", "FADE", "IN", "OUT", "POV", "CONT'D"}
)

INT, EXT, INT_EXT = "INT", "EXT", "INT/EXT"


@dataclass(frozen=True)
class Scene:
    """One scene: its heading (without scene number), the text up to the next heading, and where it lies.

    Line numbers are 1-based: `start_line` is the heading's line, `end_line` the last line before the
    next heading (or the script's last line). `content` is that span without leading and trailing blank
    lines, exactly as written (notes and boneyard included).
    """

    heading: str
    content: str
    start_line: int
    end_line: int
    scene_number: str | None = None
    int_ext: str | None = None
    location: str = ""
    time_of_day: str = ""
    first_action: str = ""
    # Who is in the scene (its speakers, and the script's speakers or new people its action names) and
    # the props its action writes in capitals; characters in title case, props in lower case.
    characters: tuple[str, ...] = ()
    props: tuple[str, ...] = ()


@dataclass(frozen=True)
class CharacterLines:
    """A speaking character and the number of times they speak (dialogue blocks)."""

    name: str
    lines: int


@dataclass(frozen=True)
class Statistics:
    """Counts over a script: scenes, words of dialogue and action, speakers, INT/EXT, times of day, locations."""

    scenes: int
    words: int
    characters: list[CharacterLines] = field(default_factory=list)
    int_ext: dict[str, int] = field(default_factory=dict)
    day_night: dict[str, int] = field(default_factory=dict)
    locations: list[str] = field(default_factory=list)

    @property
    def character_names(self) -> list[str]:
        """The speakers' names, most lines first, for autocomplete."""
        return [character.name for character in self.characters]


@dataclass(frozen=True)
class _Paragraph:
    kind: str  # heading, action, dialogue, transition, section, synopsis, page_break
    lines: list[str]
    first: int  # 0-based index of its first line
    last: int  # 0-based index of its last line


def split_lines(content: str) -> list[str]:
    """The script's lines, whatever its line endings."""
    return _LINE_BREAK.split(content)


def _blank_out(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda match: "\n" * match.group().count("\n"), text)


def parse_title_page(lines: list[str]) -> dict[str, list[str]] | None:
    """The title page's values by capitalised key (Title, Credit, Author, Draft date, …), or None without one."""
    block = []
    for line in lines:
        if line == "":
            break
        block.append(line)
    if not block or not _TITLE_KEY.match(block[0]):
        return None
    values: dict[str, list[str]] = {}
    key = None
    for line in block:
        indented = _TITLE_VALUE.match(line)
        if indented and key is not None:
            values[key].append(indented.group(1).strip())
            continue
        key_match = _TITLE_KEY.match(line)
        if not key_match:
            return None
        key = key_match.group(1).strip().capitalize()
        values.setdefault(key, [])
        if key_match.group(2).strip():
            values[key].append(key_match.group(2).strip())
    return values


def _is_heading(line: str) -> bool:
    stripped = line.strip()
    if stripped.startswith("."):
        return len(stripped) > 1 and stripped[1] != "."
    return bool(_HEADING_PREFIX.match(stripped))


def _is_cue(line: str) -> bool:
    if line.endswith("  "):
        return False
    stripped = line.strip()
    if stripped.startswith("@") and len(stripped) >= 2:
        return True
    return stripped.split("(", 1)[0].isupper()


def _classify(lines: list[str]) -> str:
    if lines[0].lstrip().startswith("!"):
        return "action"
    if len(lines) == 1 and _PAGE_BREAK.match(lines[0].strip()):
        return "page_break"
    if all(line.lstrip().startswith("=") for line in lines):
        return "synopsis"
    if all(_SECTION.match(line.lstrip()) or line.lstrip().startswith("=") for line in lines):
        return "section"
    if len(lines) == 1 and _is_heading(lines[0]):
        return "heading"
    if all(_CENTERED.match(line) for line in lines):
        return "action"
    if len(lines) >= 2 and _is_cue(lines[0]):
        return "dialogue"
    if len(lines) == 1:
        forced, text, to_colon = _TRANSITION.match(lines[0].strip()).groups()
        if forced or (to_colon and text.isupper()):
            return "transition"
    return "action"


def _paragraphs(content: str) -> tuple[list[str], list[_Paragraph]]:
    """The script's original lines and its classified paragraphs (on the text without boneyard and notes)."""
    original = split_lines(content)
    cleaned = split_lines(_blank_out(_NOTE, _blank_out(_BONEYARD, content)))
    start = 0
    if parse_title_page(cleaned) is not None:
        while start < len(cleaned) and cleaned[start] != "":
            start += 1
    paragraphs: list[_Paragraph] = []
    block: list[str] = []
    for index in range(start, len(cleaned) + 1):
        line = cleaned[index] if index < len(cleaned) else ""
        if line.strip():
            block.append(line)
            continue
        if block:
            paragraphs.append(_Paragraph(_classify(block), block, index - len(block), index - 1))
            block = []
    return original, paragraphs


def _heading_parts(line: str) -> tuple[str, str | None, str | None, str, str]:
    """A heading line's text without the forcing dot and scene number, the number, INT/EXT, location and time."""
    text = line.strip()
    if text.startswith("."):
        text = text[1:].strip()
    scene_number = None
    numbered = _SCENE_NUMBER.match(text)
    if numbered:
        text, scene_number = numbered.group(1).strip(), numbered.group(2)
    prefix = _HEADING_PREFIX.match(text)
    int_ext = None
    rest = text
    if prefix:
        word = prefix.group(1).upper().replace(".", "")
        int_ext = INT_EXT if "/" in word else (EXT if word == "EST" else word)
        rest = text[prefix.end() :].lstrip(". ")
    if int_ext is None:  # a forced heading (.FLASHBACK) names no place and no time
        return text, scene_number, None, "", ""
    parts = _TIME_SEPARATOR.split(rest)
    time_of_day = parts[-1].strip().upper() if len(parts) > 1 else ""
    location = " - ".join(parts[:-1] if len(parts) > 1 else parts).strip().upper()
    return text, scene_number, int_ext, location, time_of_day


def _trimmed(lines: list[str]) -> str:
    first, last = 0, len(lines)
    while first < last and not lines[first].strip():
        first += 1
    while last > first and not lines[last - 1].strip():
        last -= 1
    return "\n".join(lines[first:last])


def scan_scenes(content: str, *, elements: bool = False) -> list[Scene]:
    """The script's scenes in order, each with its heading, its content up to the next heading and its span.

    With `elements`, each also has its characters and props (a few times the work of the scan).
    """
    return _scenes(*_paragraphs(content), elements=elements)


def _title_case(name: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in name.split())


def _speaker_mentions(speakers: set[str]) -> re.Pattern | None:
    """One pattern for every speaker's name as a word, whatever its case (longest names first)."""
    if not speakers:
        return None
    names = "|".join(re.escape(name) for name in sorted(speakers, key=len, reverse=True))
    return re.compile(rf"\b(?:{names})\b", re.IGNORECASE)


def _scene_elements(
    paragraphs: list[_Paragraph], speakers: set[str], mentions: re.Pattern | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The characters and props of one scene's paragraphs; `speakers` are the script's cues, in capitals."""
    characters: dict[str, None] = {}
    props: dict[str, None] = {}
    for paragraph in paragraphs:
        if paragraph.kind == "dialogue":
            if name := normalise_cue(paragraph.lines[0]):
                characters.setdefault(_title_case(name))
        elif paragraph.kind == "action":
            text = " ".join(line.strip() for line in paragraph.lines).lstrip("!")
            for mention in mentions.finditer(text) if mentions else ():
                if mention.group()[0].isupper():
                    characters.setdefault(_title_case(mention.group()))
            for match in _CAPITALS.finditer(text):
                words = match.group()
                if words in speakers or words in _NOT_ELEMENTS or len(words) < 2:
                    continue
                if text[match.end() :].lstrip().startswith("("):  # introduced with an age: MAYA (30s)
                    characters.setdefault(_title_case(words))
                else:
                    props.setdefault(words.lower())
    return tuple(characters), tuple(props)


def _scenes(original: list[str], paragraphs: list[_Paragraph], *, elements: bool = False) -> list[Scene]:
    headings = [index for index, paragraph in enumerate(paragraphs) if paragraph.kind == "heading"]
    speakers = set()
    if elements:
        speakers = {normalise_cue(p.lines[0]).upper() for p in paragraphs if p.kind == "dialogue"} - {""}
    mentions = _speaker_mentions(speakers)
    scenes = []
    for number, paragraph_index in enumerate(headings):
        heading = paragraphs[paragraph_index]
        next_index = headings[number + 1] if number + 1 < len(headings) else len(paragraphs)
        end = paragraphs[next_index].first - 1 if next_index < len(paragraphs) else len(original) - 1
        first_action = next(
            (
                " ".join(line.strip() for line in p.lines)
                for p in paragraphs[paragraph_index + 1 : next_index]
                if p.kind == "action"
            ),
            "",
        )
        text, scene_number, int_ext, location, time_of_day = _heading_parts(heading.lines[0])
        characters, props = (
            _scene_elements(paragraphs[paragraph_index + 1 : next_index], speakers, mentions) if elements else ((), ())
        )
        scenes.append(
            Scene(
                heading=text,
                content=_trimmed(original[heading.first + 1 : end + 1]),
                start_line=heading.first + 1,
                end_line=end + 1,
                scene_number=scene_number,
                int_ext=int_ext,
                location=location,
                time_of_day=time_of_day,
                first_action=first_action.lstrip("!"),
                characters=characters,
                props=props,
            )
        )
    return scenes


def prompt_heading(prompt: str, headings: Iterable[str] = ()) -> str | None:
    """The scene heading a prompt opens with: the longest of `headings` (its screenplay's), else one by its form.

    A scene draft made from a screenplay's scene starts "HEADING. first action"; a prompt written
    by hand may open with a heading of its own ("EXT. PIER - DAWN. Gulls circle.").
    """
    known = [heading for heading in headings if prompt == heading or prompt.startswith(f"{heading}. ")]
    if known:
        return max(known, key=len)
    written = _PROMPT_HEADING.match(prompt)
    return written.group(1) if written else None


def normalise_cue(cue: str) -> str:
    """A character cue without forcing `@`, dual-dialogue `^` and extensions such as (V.O.) or (CONT'D)."""
    name = cue.strip()
    if name.startswith("@"):
        name = name[1:]
    name = name.rstrip().removesuffix("^")
    return " ".join(_EXTENSION.sub(" ", name).split())


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def statistics(content: str) -> Statistics:
    """Scenes, words of dialogue and action, speakers with their lines, INT/EXT and time-of-day counts, locations."""
    original, paragraphs = _paragraphs(content)
    words = 0
    speakers: Counter[str] = Counter()
    names: dict[str, str] = {}
    for paragraph in paragraphs:
        if paragraph.kind == "action":
            words += sum(_words(line.strip().lstrip("!>").rstrip("<")) for line in paragraph.lines)
        elif paragraph.kind == "dialogue":
            name = normalise_cue(paragraph.lines[0])
            if name:
                key = name.upper()
                names.setdefault(key, name)
                speakers[key] += 1
            words += sum(_words(line) for line in paragraph.lines[1:] if not line.strip().startswith("("))
    scenes = _scenes(original, paragraphs)
    int_ext = {INT: 0, EXT: 0, INT_EXT: 0}
    day_night: Counter[str] = Counter({"DAY": 0, "NIGHT": 0})
    locations: dict[str, None] = {}
    for scene in scenes:
        if scene.int_ext:
            int_ext[scene.int_ext] += 1
        if scene.time_of_day:
            day_night[scene.time_of_day] += 1
        if scene.location:
            locations.setdefault(scene.location)
    return Statistics(
        scenes=len(scenes),
        words=words,
        characters=[CharacterLines(names[key], count) for key, count in speakers.most_common()],
        int_ext=int_ext,
        day_night=dict(day_night),
        locations=list(locations),
    )


class NotFinalDraft(ValueError):
    """The bytes are not a Final Draft (.fdx) document this converter accepts."""


# Final Draft paragraph types that continue a dialogue block (no blank line before them).
_DIALOGUE_PARTS = {"Parenthetical", "Dialogue"}


def _fdx_text(paragraph: Element) -> str:
    return "".join(text.text or "" for text in paragraph.iter("Text")).replace("\r\n", "\n").replace("\r", "\n")


def _fdx_lines(kind: str, text: str, number: str | None, dual: bool) -> list[str]:
    """A Final Draft paragraph's Fountain lines, forced where Fountain would read it as another element."""
    lines = [line.rstrip() for line in text.strip().split("\n")]
    if kind == "Scene Heading":
        heading = " ".join(lines).upper()
        heading = heading if _HEADING_PREFIX.match(heading) else f".{heading}"
        return [f"{heading} #{number}#" if number else heading]
    if kind == "Character":
        cue = " ".join(lines)
        cue = cue if _is_cue(cue) else f"@{cue}"
        return [f"{cue} ^" if dual else cue]
    if kind == "Parenthetical":
        joined = " ".join(lines)
        return [joined if joined.startswith("(") else f"({joined})"]
    if kind == "Dialogue":
        return lines
    if kind == "Transition":
        transition = " ".join(lines).upper()
        return [transition if transition.endswith("TO:") else f"> {transition}"]
    if kind == "Shot":
        lines = [" ".join(lines).upper()]
    return lines if _classify(lines) == "action" else [f"!{lines[0]}", *lines[1:]]


def _fdx_paragraphs(content: Element) -> list[tuple[str, str, str | None, bool]]:
    """(type, text, scene number, second of a dual dialogue) of the script's paragraphs, dual dialogue unfolded."""
    found = []
    for paragraph in content.findall("Paragraph"):
        dual = paragraph.find("DualDialogue")
        if dual is not None:
            characters = 0
            for inner in dual.findall("Paragraph"):
                kind = inner.get("Type", "")
                characters += kind == "Character"
                found.append((kind, _fdx_text(inner), None, kind == "Character" and characters == 2))
            continue
        found.append((paragraph.get("Type", "Action"), _fdx_text(paragraph), paragraph.get("Number"), False))
    return [(kind, text, number, dual) for kind, text, number, dual in found if text.strip()]


def _fdx_title_page(root: Element) -> list[str]:
    """The title page's Fountain lines: the first paragraph is the title, a "by" line the credit, then the author."""
    texts = [text.strip() for text in map(_fdx_text, root.findall("./TitlePage/Content/Paragraph")) if text.strip()]
    if not texts:
        return []
    lines = [f"Title: {' '.join(texts[0].split())}"]
    rest = texts[1:]
    if len(rest) >= 2 and rest[0].lower() in {"by", "written by", "screenplay by", "story by"}:
        lines += [f"Credit: {rest[0]}", f"Author: {rest[1]}"]
        rest = rest[2:]
    if rest:
        lines += ["Contact:", *(f"    {line.strip()}" for text in rest for line in text.split("\n") if line.strip())]
    return lines


def fdx_to_fountain(data: bytes) -> tuple[str, str | None]:
    """Convert a Final Draft document to Fountain; answer the text and the title page's title (if any).

    The XML is parsed with defusedxml, refusing any DTD (so entity expansion and external entities),
    and anything that is not a Final Draft document is a NotFinalDraft error.
    """
    try:
        root = fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError) as error:
        raise NotFinalDraft("This is not a Final Draft file (it is not well-formed, safe XML).") from error
    content = root.find("Content")
    if root.tag != "FinalDraft" or content is None:
        raise NotFinalDraft("This XML file is not a Final Draft screenplay (no FinalDraft content).")
    title_page = _fdx_title_page(root)
    lines = [*title_page, ""] if title_page else []
    previous = None
    for kind, text, number, dual in _fdx_paragraphs(content):
        in_dialogue = kind in _DIALOGUE_PARTS and previous in {"Character", *_DIALOGUE_PARTS}
        if lines and lines[-1] and not in_dialogue:
            lines.append("")
        lines += _fdx_lines(kind, text, number, dual)
        previous = kind
    title = title_page[0].removeprefix("Title: ") if title_page else None
    return "\n".join(lines).strip("\n") + "\n", title
