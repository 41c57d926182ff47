// A small Fountain (https://fountain.io/syntax) tokenizer and preview renderer, no dependencies.
// It reads a script the way the server's line scanner (screenplays/fountain.py) does: paragraphs
// are runs of non-blank lines; notes [[…]], boneyard /* */ and synopses = never reach the preview.

const HEADING = /^(INT\.?\/EXT\.?|I\/E|INT|EXT|EST)[ .]/i;
const SCENE_NUMBER = /^(.*?)\s*#([\w\-.]+)#\s*$/;
const TITLE_KEY = /^([^:\s][^:]*):\s*(.*)$/;
const TRANSITION = /^[A-Z0-9 .'’-]+TO:$/;
const CENTERED = /^\s*>\s*(.*?)\s*<\s*$/;
const PAGE_BREAK = /^={3,}\s*$/;
const TIME_SEPARATOR = /\s+[-–—]\s+/;

export const HEADING_PREFIXES = ["INT. ", "EXT. ", "INT./EXT. ", "EST. "];
export const TIMES_OF_DAY = ["DAY", "NIGHT", "MORNING", "AFTERNOON", "EVENING", "DAWN", "DUSK", "CONTINUOUS", "LATER", "MOMENTS LATER"];

/** Replace notes and boneyard with spaces of the same length, so line numbers and offsets stay put. */
export function blankOut(text) {
  return text.replace(/\/\*[\s\S]*?\*\/|\[\[[\s\S]*?\]\]/g, (match) => match.replace(/[^\n]/g, " "));
}

/** Whether a line (already trimmed) is a scene heading, forced with "." or not. */
export function isHeading(line) {
  return HEADING.test(line) || (line.startsWith(".") && !line.startsWith("..") && line.length > 1);
}

/** Whether a line is a character cue: capitals (extensions may be lower case), or forced with "@". */
export function isCue(line) {
  if (line.startsWith("@")) return line.length > 1;
  const name = line.replace(/\^$/, "").replace(/\([^)]*\)/g, "").trim();
  return /[A-Z]/.test(name) && name === name.toUpperCase() && !/^[!>~=#.]/.test(line) && !line.endsWith("TO:");
}

/** A cue's name without "@", "^" and extensions such as (V.O.). */
export function cueName(line) {
  return line.replace(/^@/, "").replace(/\^\s*$/, "").replace(/\([^)]*\)/g, " ").replace(/\s+/g, " ").trim();
}

function headingParts(line) {
  let text = line.startsWith(".") && !HEADING.test(line) ? line.slice(1) : line;
  let number = null;
  const numbered = SCENE_NUMBER.exec(text);
  if (numbered) {
    text = numbered[1];
    number = numbered[2];
  }
  return { text: text.trim(), number };
}

/** The location of a heading: what lies between the INT./EXT. prefix and the last " - ". */
export function headingLocation(heading) {
  const body = heading.replace(HEADING, "").trim();
  const parts = body.split(TIME_SEPARATOR);
  return (parts.length > 1 ? parts.slice(0, -1).join(" - ") : body).trim();
}

function titlePage(lines) {
  if (!lines.length || !TITLE_KEY.test(lines[0]) || isHeading(lines[0].trim())) return null;
  const entries = [];
  let index = 0;
  for (; index < lines.length && lines[index].trim() !== ""; index++) {
    const line = lines[index];
    const key = /^\s/.test(line) ? null : TITLE_KEY.exec(line);
    if (key) entries.push({ key: key[1].trim().toLowerCase(), values: key[2].trim() ? [key[2].trim()] : [] });
    else if (entries.length) entries[entries.length - 1].values.push(line.trim());
    else return null;
  }
  return { entries, end: index };
}

/**
 * Tokens of a script: {type, text, line} with type one of title_page, scene_heading, action,
 * character, parenthetical, dialogue, transition, centered, lyrics, page_break, section,
 * synopsis; dialogue blocks are grouped as {type: "dialogue_block", dual, items}.
 */
export function tokenize(source) {
  const lines = blankOut(source.replace(/\r\n?/g, "\n")).split("\n");
  const tokens = [];
  const title = titlePage(lines);
  let index = 0;
  if (title) {
    tokens.push({ type: "title_page", entries: title.entries, line: 0 });
    index = title.end;
  }
  while (index < lines.length) {
    if (lines[index].trim() === "") {
      index++;
      continue;
    }
    const start = index;
    const paragraph = [];
    while (index < lines.length && lines[index].trim() !== "") paragraph.push(lines[index++]);
    const first = paragraph[0].trim();
    if (first.startsWith("#")) {
      const depth = /^#+/.exec(first)[0].length;
      tokens.push({ type: "section", depth, text: first.slice(depth).trim(), line: start });
      paragraph.slice(1).forEach((line, offset) => pushLine(tokens, line, start + offset + 1));
    } else if (first.startsWith("=") && !PAGE_BREAK.test(first)) {
      tokens.push({ type: "synopsis", text: first.slice(1).trim(), line: start });
    } else if (PAGE_BREAK.test(first)) {
      tokens.push({ type: "page_break", line: start });
    } else if (paragraph.length === 1 && isHeading(first)) {
      const { text, number } = headingParts(first);
      tokens.push({ type: "scene_heading", text: text.toUpperCase(), number, line: start });
    } else if (paragraph.length === 1 && (TRANSITION.test(first) || (first.startsWith(">") && !first.endsWith("<")))) {
      tokens.push({ type: "transition", text: first.replace(/^>\s*/, ""), line: start });
    } else if (paragraph.length > 1 && !first.startsWith("!") && isCue(first)) {
      const dual = /\^\s*$/.test(first);
      const items = [{ type: "character", text: cueName(first.replace(/^@/, "")) + extension(first), line: start }];
      paragraph.slice(1).forEach((line, offset) => {
        const text = line.trim();
        const type = text.startsWith("(") && text.endsWith(")") ? "parenthetical" : "dialogue";
        const previous = items[items.length - 1];
        if (type === "dialogue" && previous.type === "dialogue") previous.text += "\n" + text;
        else items.push({ type, text, line: start + offset + 1 });
      });
      const block = { type: "dialogue_block", dual: false, items, line: start };
      const previous = tokens[tokens.length - 1];
      if (dual && previous && previous.type === "dialogue_block" && !previous.dual) {
        previous.dual = true;
        previous.right = block;
      } else tokens.push(block);
    } else {
      paragraph.forEach((line, offset) => pushLine(tokens, line, start + offset));
      const last = tokens[tokens.length - 1];
      if (last && last.type === "action") last.end = true;
    }
  }
  return tokens;
}

function extension(cue) {
  const found = cue.match(/\([^)]*\)/g);
  return found ? " " + found.join(" ") : "";
}

function pushLine(tokens, line, number) {
  const text = line.trim();
  if (text === "") return;
  const centered = CENTERED.exec(line);
  if (centered) tokens.push({ type: "centered", text: centered[1], line: number });
  else if (text.startsWith("~")) tokens.push({ type: "lyrics", text: text.slice(1).trim(), line: number });
  else if (text.startsWith("=") && !PAGE_BREAK.test(text)) tokens.push({ type: "synopsis", text: text.slice(1).trim(), line: number });
  else {
    const previous = tokens[tokens.length - 1];
    const content = line.replace(/^!/, "").replace(/\t/g, "    ").trimEnd();
    if (previous && previous.type === "action" && !previous.end) previous.text += "\n" + content;
    else tokens.push({ type: "action", text: content, line: number });
  }
}

/** Scenes and sections for the outline: {kind: "scene"|"section", text, line, number, depth}. */
export function outline(tokens) {
  const items = [];
  let scene = 0;
  for (const token of tokens) {
    if (token.type === "scene_heading") {
      scene += 1;
      items.push({ kind: "scene", text: token.text, line: token.line, number: token.number || String(scene) });
    }
    else if (token.type === "section") items.push({ kind: "section", text: token.text, line: token.line, depth: token.depth });
  }
  return items;
}

/** Character names and locations already in the script, for autocomplete. */
export function vocabulary(tokens) {
  const characters = new Map();
  const locations = new Set();
  const visit = (block) => {
    const name = cueName(block.items[0].text);
    if (name) characters.set(name.toUpperCase(), (characters.get(name.toUpperCase()) || 0) + 1);
  };
  for (const token of tokens) {
    if (token.type === "dialogue_block") {
      visit(token);
      if (token.right) visit(token.right);
    } else if (token.type === "scene_heading") {
      const location = headingLocation(token.text);
      if (location) locations.add(location);
    }
  }
  const byLines = [...characters.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
  return { characters: byLines, locations: [...locations] };
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

// The preview is redrawn on every keystroke from the whole script: most of its texts are the same as
// the last time, so their HTML is remembered (the cache is emptied when it grows past the bound).
const INLINE_CACHE_SIZE = 20_000;
const inlineCache = new Map();

/** Escape text for HTML, then render Fountain emphasis: ***bold italic***, **bold**, *italic*, _underline_. */
export function inline(text) {
  let html = inlineCache.get(text);
  if (html === undefined) {
    if (inlineCache.size >= INLINE_CACHE_SIZE) inlineCache.clear();
    html = renderInline(text);
    inlineCache.set(text, html);
  }
  return html;
}

function renderInline(text) {
  return text
    .replace(/[&<>"]/g, (character) => ESCAPES[character])
    .replace(/\\\*/g, "&#42;")
    .replace(/\\_/g, "&#95;")
    .replace(/\*\*\*(.+?)\*\*\*/g, "<strong><em>$1</em></strong>")
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/\*(.+?)\*/g, "<em>$1</em>")
    .replace(/_(.+?)_/g, "<u>$1</u>")
    .replace(/\n/g, "<br>");
}

function block(dialogue) {
  return dialogue.items.map((item) => `<p class="fp-${item.type}">${inline(item.text)}</p>`).join("");
}

// The title page as the PDF export (screenplain) sets it: title, credit, authors and source centred,
// the title at twice the size as typed; draft date and contact at the lower left, copyright centred
// below them; other keys (notes, …) are not printed.
const TITLE_CENTER = ["title", "credit", "author", "authors", "source"];
const TITLE_LOWER = ["draft date", "contact", "copyright"];

function titleHtml(token) {
  const values = new Map(token.entries.map((entry) => [entry.key, entry.values]));
  const entry = (key) => (values.has(key) ? `<div class="fp-title-entry" data-key="${key}">${values.get(key).map(inline).join("<br>")}</div>` : "");
  return `<section class="fp-title-page" aria-label="Title page"><div class="fp-title-center">${TITLE_CENTER.map(entry).join("")}</div><div class="fp-title-foot">${TITLE_LOWER.map(entry).join("")}</div></section>`;
}

function tokenHtml(token) {
  switch (token.type) {
    case "title_page":
      return titleHtml(token);
    case "scene_heading": {
      const number = token.number ? `<span class="fp-number">${inline(token.number)}</span>` : "";
      return `<h3 class="fp-scene_heading">${number}${inline(token.text)}${number}</h3>`;
    }
    case "dialogue_block":
      return token.dual
        ? `<div class="fp-dual"><div class="fp-dialogue-block">${block(token)}</div><div class="fp-dialogue-block">${block(token.right)}</div></div>`
        : `<div class="fp-dialogue-block">${block(token)}</div>`;
    case "page_break":
      return '<hr class="fp-page_break">';
    case "section":
    case "synopsis":
      return "";
    default:
      return `<p class="fp-${token.type}">${inline(token.text)}</p>`;
  }
}

/**
 * The preview in standard screenplay layout: one {html, line} part per element shown, each one
 * top-level element, `line` being the 0-based script line it starts on (sections and synopses show nothing).
 */
export function renderParts(tokens) {
  const parts = [];
  for (const token of tokens) {
    const html = tokenHtml(token);
    if (html) parts.push({ html, line: token.line });
  }
  return parts;
}
