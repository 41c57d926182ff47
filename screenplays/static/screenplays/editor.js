// The screenplay editor: CodeMirror with a Fountain mode, live preview, outline, versioned saves
// (autosave, conflicts, offline drafts), history, statistics, exports and scene drafts.
import {
  EditorState, StateField, StateEffect, Prec, EditorView, keymap, drawSelection, highlightActiveLine, placeholder,
  defaultKeymap, history, historyKeymap, StreamLanguage, syntaxHighlighting, HighlightStyle, autocompletion,
  startCompletion, acceptCompletion, completionStatus, search, searchKeymap, highlightSelectionMatches, tags,
} from "codemirror";
import { tokenize, renderParts, outline, vocabulary, isHeading, isCue, HEADING_PREFIXES, TIMES_OF_DAY } from "screenplays/fountain";
import { lineDiff, diffHtml, mergeWithMarkers } from "screenplays/diff";

const AUTOSAVE_DELAY_MS = 2000;
const DRAFT_DELAY_MS = 400;
const app = document.getElementById("editor-app");
const initial = JSON.parse(document.getElementById("screenplay-data").textContent);
const apiBase = app.dataset.api;
const draftPrefix = `directorstudio:screenplay:${initial.id}:`;
const $ = (id) => document.getElementById(id);
const titleInput = $("screenplay-title");
const statusElement = $("save-status");
const preview = $("preview-page");

// --- The Fountain mode of the writing area ------------------------------------------------------
// A line is classified when it starts, without seeing the next one: a capitals line after a blank
// is shown as a cue (the preview, which sees the whole script, knows better).

function classifyLine(stream, state) {
  const text = stream.string.trim();
  if (state.titlePage && (/^[^:\s][^:]*:/.test(text) || (state.line === "titleKey" && /^\s/.test(stream.string)))) return "titleKey";
  state.titlePage = false;
  if (["character", "dialogue", "parenthetical"].includes(state.line)) return text.startsWith("(") ? "parenthetical" : "dialogue";
  if (!state.previousBlank) return "action";
  if (text.startsWith("#")) return "section";
  if (/^={3,}$/.test(text)) return "pageBreak";
  if (text.startsWith("=")) return "synopsis";
  if (text.startsWith("~")) return "lyrics";
  if (/^>.*<$/.test(text)) return "centered";
  if (isHeading(text)) return "sceneHeading";
  if ((/TO:$/.test(text) && text === text.toUpperCase()) || text.startsWith(">")) return "transition";
  if (!text.startsWith("!") && !text.endsWith(":") && isCue(text)) return "character";
  return "action";
}

const fountainMode = {
  name: "fountain",
  startState: () => ({ boneyard: false, note: false, line: "action", titlePage: true, previousBlank: true }),
  copyState: (state) => ({ ...state }),
  blankLine(state) {
    state.previousBlank = true;
    state.titlePage = false;
    state.line = "action";
  },
  token(stream, state) {
    if (stream.sol()) {
      state.line = classifyLine(stream, state);
      state.previousBlank = false;
    }
    if (state.boneyard || stream.match("/*")) {
      state.boneyard = !stream.skipTo("*/");
      if (state.boneyard) stream.skipToEnd();
      else stream.pos += 2;
      return "boneyard";
    }
    if (state.note || stream.match("[[")) {
      state.note = !stream.skipTo("]]");
      if (state.note) stream.skipToEnd();
      else stream.pos += 2;
      return "note";
    }
    const rest = stream.string.slice(stream.pos);
    const stop = rest.search(/\/\*|\[\[/);
    stream.pos = stop > 0 ? stream.pos + stop : stream.string.length;
    return state.line;
  },
  tokenTable: {
    sceneHeading: tags.heading, character: tags.labelName, parenthetical: tags.meta, dialogue: tags.string,
    transition: tags.keyword, centered: tags.quote, section: tags.heading1, synopsis: tags.docComment,
    note: tags.annotation, boneyard: tags.comment, titleKey: tags.propertyName, pageBreak: tags.contentSeparator,
    lyrics: tags.emphasis, action: tags.content,
  },
};

const fountainHighlight = HighlightStyle.define([
  { tag: tags.heading, class: "cmf-heading" },
  { tag: tags.labelName, class: "cmf-character" },
  { tag: tags.meta, class: "cmf-parenthetical" },
  { tag: tags.string, class: "cmf-dialogue" },
  { tag: tags.keyword, class: "cmf-transition" },
  { tag: tags.quote, class: "cmf-centered" },
  { tag: tags.heading1, class: "cmf-section" },
  { tag: tags.docComment, class: "cmf-synopsis" },
  { tag: tags.annotation, class: "cmf-note" },
  { tag: tags.comment, class: "cmf-boneyard" },
  { tag: tags.propertyName, class: "cmf-title-key" },
  { tag: tags.contentSeparator, class: "cmf-page-break" },
  { tag: tags.emphasis, class: "cmf-lyrics" },
]);

// --- Tab and Enter, the way screenwriting software moves between elements -----------------------

function lineKind(doc, number) {
  const text = doc.line(number).text.trim();
  let first = number;
  while (first > 1 && doc.line(first - 1).text.trim() !== "") first--;
  const head = doc.line(first).text.trim();
  if (first === 1 && /^[^:\s][^:]*:/.test(head) && !isHeading(head)) return "title";
  if (first < number && isCue(head) && !isHeading(head)) return text.startsWith("(") ? "parenthetical" : "dialogue";
  if (first === number && isHeading(text)) return "heading";
  if (first === number && text && isCue(text)) return "character";
  return "action";
}

// The start of a line whose typing becomes capitals: Tab on an empty line begins a character cue.
const setCaps = StateEffect.define();
const capsLine = StateField.define({
  create: () => null,
  update(value, transaction) {
    for (const effect of transaction.effects) if (effect.is(setCaps)) return effect.value;
    if (value === null) return null;
    const mapped = transaction.changes.mapPos(value);
    return transaction.state.doc.lineAt(transaction.state.selection.main.head).from === mapped ? mapped : null;
  },
});

const capitalsOnCueLine = EditorView.inputHandler.of((view, from, to, text) => {
  const start = view.state.field(capsLine);
  if (start === null || view.state.doc.lineAt(from).from !== start || text === text.toUpperCase()) return false;
  view.dispatch({ changes: { from, to, insert: text.toUpperCase() }, selection: { anchor: from + text.length }, userEvent: "input.type" });
  return true;
});

// Text typed in one go that holds line breaks (Chromium's insertText: dictation, text expanders, IME
// commits, Playwright's insert_text) was left to the contentEditable, which, on an empty line (a lone
// <br>), swallowed the first line break; CodeMirror then read the DOM without it. Insert it ourselves.
const multiLineInput = EditorView.domEventHandlers({
  beforeinput(event, view) {
    const text = event.data;
    if (event.inputType !== "insertText" || event.isComposing || view.composing || !text || !/[\r\n]/.test(text)) return false;
    event.preventDefault();
    view.dispatch(view.state.replaceSelection(text.replace(/\r\n?/g, "\n")), { scrollIntoView: true, userEvent: "input.type" });
    return true;
  },
});

function insertAtCursor(view, text, cursorOffset = text.length) {
  const head = view.state.selection.main.head;
  view.dispatch({ changes: { from: head, insert: text }, selection: { anchor: head + cursorOffset }, scrollIntoView: true, userEvent: "input" });
}

// Smart Enter is on unless the writer turned it off (the setting is in the keyboard help, kept with the layout).
function smartEnter(view) {
  if (layout.smartEnter === false) return false;
  const selection = view.state.selection.main;
  const { doc } = view.state;
  const line = doc.lineAt(selection.head);
  if (!selection.empty) return false;
  if (line.text.trim() === "") {
    // The second Enter Fountain teaches, on the blank line smart Enter already made: one blank line is enough.
    return line.number > 1 && doc.line(line.number - 1).text.trim() === "";
  }
  if (selection.head !== line.to) return false;
  const kind = lineKind(doc, line.number);
  insertAtCursor(view, ["character", "parenthetical", "title"].includes(kind) ? "\n" : "\n\n");
  return true;
}

function smartTab(view) {
  if (completionStatus(view.state) === "active") return acceptCompletion(view);
  const selection = view.state.selection.main;
  if (!selection.empty) return false;
  const { doc } = view.state;
  const line = doc.lineAt(selection.head);
  const previous = line.number > 1 ? doc.line(line.number - 1) : null;
  const previousKind = previous && previous.text.trim() !== "" ? lineKind(doc, previous.number) : null;
  if (line.text.trim() === "") {
    if (["character", "dialogue", "parenthetical"].includes(previousKind)) {
      insertAtCursor(view, "()", 1);
      return true;
    }
    if (previousKind) insertAtCursor(view, "\n");
    view.dispatch({ effects: setCaps.of(view.state.doc.lineAt(view.state.selection.main.head).from) });
    startCompletion(view);
    return true;
  }
  const kind = lineKind(doc, line.number);
  if (kind === "character" && selection.head === line.to) {
    insertAtCursor(view, "\n()", 2);
    return true;
  }
  if (kind === "action" && !previousKind && line.text !== line.text.toUpperCase()) {
    view.dispatch({ changes: { from: line.from, to: line.to, insert: line.text.toUpperCase() }, userEvent: "input" });
    return true;
  }
  return false;
}

// --- Autocomplete: scene-heading prefixes, locations, times of day, character names ---------------

let known = { characters: [], locations: [] };
const HEADING_START = /^(INT\.\/EXT\.|INT\/EXT\.?|I\/E\.?|INT\.|EXT\.|EST\.|\.(?=\w))\s*/i;

/** A location picked from the list is followed by " - " and the times of day are offered at once. */
function applyLocation(view, completion, from, to) {
  const insert = `${completion.label} - `;
  view.dispatch({ changes: { from, to, insert }, selection: { anchor: from + insert.length }, userEvent: "input.complete" });
  setTimeout(() => startCompletion(view));
}
const cueOptions = () => known.characters.map((label) => ({ label, type: "variable", detail: "character" }));

function fountainCompletions(context) {
  const { doc } = context.state;
  const line = doc.lineAt(context.pos);
  const before = line.text.slice(0, context.pos - line.from);
  if (line.number > 1 && doc.line(line.number - 1).text.trim() !== "") return null;
  const time = /\s[-–—]\s*([A-Za-z ]*)$/.exec(before);
  if (time && isHeading(before.trim())) {
    return { from: context.pos - time[1].length, options: TIMES_OF_DAY.map((label) => ({ label, type: "constant", detail: "time of day" })), validFor: /^[A-Za-z ]*$/ };
  }
  const prefix = HEADING_START.exec(before);
  if (prefix && prefix[0].length > 1) {
    const options = known.locations.map((label) => ({ label, apply: applyLocation, type: "text", detail: "location" }));
    return options.length ? { from: line.from + prefix[0].length, options, validFor: /^[^-–—]*$/ } : null;
  }
  const typedCaps = before !== "" && before === before.toUpperCase();
  const caps = context.state.field(capsLine) !== null;
  const options = [];
  if (/^[A-Za-z./]*$/.test(before) && (context.explicit || typedCaps || before.length >= 3)) {
    options.push(...HEADING_PREFIXES.filter((label) => label.toLowerCase().startsWith(before.toLowerCase())).map((label) => ({ label: label.trim(), apply: label, type: "keyword", detail: "scene heading" })));
  }
  if (context.explicit || caps || (typedCaps && /^[A-Z0-9 .'’-]+$/.test(before))) options.push(...cueOptions());
  // Once a whole prefix and its space are typed ("INT. "), ask again: the locations come next.
  const validFor = (typed) => /^[A-Za-z0-9 .'’\/-]*$/.test(typed) && !(HEADING_START.test(typed) && /\s$/.test(typed));
  return options.length ? { from: line.from, options, validFor } : null;
}

// --- Talking to the server ----------------------------------------------------------------------

function api(url, { method = "GET", json, form } = {}) {
  const headers = { "X-CSRFToken": app.dataset.csrf, Accept: "application/json" };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, { method, headers, body: json !== undefined ? JSON.stringify(json) : form, credentials: "same-origin" });
}

async function problem(response) {
  try {
    const body = await response.json();
    return body.detail || Object.values(body).flat().join(" ") || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

// --- The status, always visible and announced ----------------------------------------------------

const STATUS_TEXT = {
  saved: "Saved",
  saving: "Saving…",
  unsaved: "Unsaved changes",
  offline: "Offline: changes kept in this browser",
  conflict: "Saved elsewhere: choose which text to keep",
  merging: "Unsaved changes: merge, then save (Ctrl+S)",
};

function setStatus(state, detail = "") {
  const text = state === "error" ? `Error: ${detail || "not saved"}` : STATUS_TEXT[state];
  statusElement.dataset.state = state;
  if (statusElement.textContent !== text) statusElement.textContent = text;
}

// --- Saving: autosave, Ctrl/Cmd+S, versions, conflicts, offline drafts ----------------------------

let base = { version: initial.version, content: initial.content, title: initial.title };
let saving = null;
let saveTimer = 0;
let draftTimer = 0;
let conflict = null;
let mergingByHand = false;
let replacing = false;

const currentText = () => view.state.doc.toString();
const isDirty = () => currentText() !== base.content || titleInput.value !== base.title;

function keepDraft() {
  clearTimeout(draftTimer);
  if (!isDirty()) return;
  try {
    localStorage.setItem(draftPrefix + base.version, JSON.stringify({ content: currentText(), title: titleInput.value, keptAt: new Date().toISOString() }));
  } catch {
    // A full or disabled storage leaves only the open page with the text; the status still says unsaved.
  }
}

function draftKeys() {
  return Object.keys(localStorage).filter((key) => key.startsWith(draftPrefix));
}

function dropDrafts() {
  draftKeys().forEach((key) => localStorage.removeItem(key));
}

function edited() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(keepDraft, DRAFT_DELAY_MS);
  if (conflict) return;
  setStatus(mergingByHand ? "merging" : navigator.onLine ? "unsaved" : "offline");
  clearTimeout(saveTimer);
  if (!mergingByHand) saveTimer = setTimeout(() => save({ autosave: true }), AUTOSAVE_DELAY_MS);
}

function adopt(row) {
  base = { version: row.version, content: row.content, title: row.title };
}

function replaceText(content, title) {
  replacing = true;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: content } });
  replacing = false;
  titleInput.value = title;
}

/** Save now (waiting for a save under way first); resolves once the text is saved or could not be.
 *  An autosave says so: the server keeps every save the writer asked for and thins autosaves as they age. */
async function save({ autosave = false } = {}) {
  clearTimeout(saveTimer);
  while (saving) await saving;
  if (conflict) return;
  if (!isDirty()) {
    setStatus("saved");
    return;
  }
  if (!navigator.onLine) {
    keepDraft();
    setStatus("offline");
    return;
  }
  saving = sendSave(autosave);
  await saving;
  saving = null;
}

async function sendSave(autosave) {
  const sent = { content: currentText(), title: titleInput.value };
  setStatus("saving");
  let response;
  try {
    response = await api(apiBase, { method: "PATCH", json: { version: base.version, autosave, ...sent } });
  } catch {
    keepDraft();
    setStatus(navigator.onLine ? "error" : "offline", "the server could not be reached");
    return;
  }
  if (response.ok) {
    const row = await response.json();
    adopt({ ...row, content: sent.content, title: sent.title });
    mergingByHand = false;
    dropDrafts();
    if (isDirty()) edited();
    else setStatus("saved");
    refreshStatistics();
    if (!$("history-panel").hidden) refreshHistory();
  } else if (response.status === 409) {
    const body = await response.json();
    showConflict(body.current);
  } else {
    keepDraft();
    setStatus("error", await problem(response));
  }
}

function showConflict(current) {
  keepDraft();
  conflict = current;
  setStatus("conflict");
  const ops = lineDiff(currentText(), current.content);
  $("conflict-version").textContent = current.version;
  $("conflict-mine").innerHTML = diffHtml(ops.filter((item) => item.op !== "add"), { removed: "Only in your text" });
  $("conflict-theirs").innerHTML = diffHtml(ops.filter((item) => item.op !== "del"), { added: "Only in the saved text" });
  $("conflict-title-note").hidden = current.title === titleInput.value;
  $("conflict-their-title").textContent = current.title;
  const dialog = $("conflict-dialog");
  if (!dialog.open) dialog.showModal();
}

function resolveConflict(choice) {
  const current = conflict;
  conflict = null;
  $("conflict-dialog").close();
  if (choice === "mine") {
    adopt(current);
    save();
  } else if (choice === "theirs") {
    adopt(current);
    replaceText(current.content, current.title);
    dropDrafts();
    setStatus("saved");
    refreshStatistics();
  } else {
    const merged = mergeWithMarkers(lineDiff(currentText(), current.content), "Yours", `Version ${current.version}`);
    adopt(current);
    mergingByHand = true;
    replaceText(merged, titleInput.value);
    keepDraft();
    setStatus("merging");
  }
  view.focus();
}

function offerKeptDraft() {
  const kept = draftKeys()
    .map((key) => ({ version: Number(key.slice(draftPrefix.length)), ...JSON.parse(localStorage.getItem(key)) }))
    .filter((draft) => draft.content !== initial.content || draft.title !== initial.title)
    .sort((a, b) => b.keptAt.localeCompare(a.keptAt))[0];
  if (!kept) {
    dropDrafts();
    return;
  }
  $("draft-when").textContent = new Date(kept.keptAt).toLocaleString();
  $("draft-version").textContent = kept.version;
  $("draft-banner").hidden = false;
  $("draft-restore").onclick = () => {
    $("draft-banner").hidden = true;
    if (kept.version !== base.version) base = { version: kept.version, content: null, title: null };
    replaceText(kept.content, kept.title);
    edited();
    save();
    view.focus();
  };
  $("draft-discard").onclick = () => {
    $("draft-banner").hidden = true;
    dropDrafts();
    view.focus();
  };
}

// --- Preview, outline and the current scene -------------------------------------------------------

let previewFrame = 0;
let shownParts = [];
let previewLines = [];
let outlineItems = [];
let outlineKey = "";
let currentScene = -1;

function schedulePreview() {
  if (!previewFrame) previewFrame = requestAnimationFrame(refreshPreview);
}

let outlineTokens = null;
let outlineTask = 0;
const whenIdle = window.requestIdleCallback ? (task) => requestIdleCallback(task, { timeout: 200 }) : (task) => setTimeout(task, 50);

/**
 * Redraw the preview in the frame after a change. The outline, the autocomplete vocabulary and the
 * current-scene mark (which reads layout) wait for idle time, so a keystroke's frame only holds the
 * tokenizer, the changed paragraphs and their layout.
 */
function refreshPreview() {
  previewFrame = 0;
  performance.mark("preview-start");
  const tokens = tokenize(currentText());
  patchPreview(renderParts(tokens));
  performance.measure("preview", "preview-start");
  outlineTokens = tokens;
  if (!outlineTask) outlineTask = whenIdle(refreshOutline);
}

function refreshOutline() {
  outlineTask = 0;
  if (!outlineTokens) return;
  const tokens = outlineTokens;
  outlineTokens = null;
  known = vocabulary(tokens);
  outlineItems = outline(tokens);
  const key = JSON.stringify(outlineItems);
  if (key !== outlineKey) {
    outlineKey = key;
    renderOutline();
  }
  markCurrentScene(true);
}

/** Replace only the preview elements that changed: a keystroke costs one paragraph's layout, not the script's. */
function patchPreview(parts) {
  const next = parts.map((part) => part.html);
  let start = 0;
  while (start < shownParts.length && start < next.length && shownParts[start] === next[start]) start++;
  let end = 0;
  while (end < shownParts.length - start && end < next.length - start && shownParts[shownParts.length - 1 - end] === next[next.length - 1 - end]) end++;
  for (let index = shownParts.length - end - 1; index >= start; index--) preview.children[index].remove();
  const html = next.slice(start, next.length - end).join("");
  if (html) {
    const before = preview.children[start];
    if (before) before.insertAdjacentHTML("beforebegin", html);
    else preview.insertAdjacentHTML("beforeend", html);
  }
  shownParts = next;
  previewLines = parts.map((part) => part.line);
}

function renderOutline() {
  const list = $("outline-list");
  $("outline-empty").hidden = outlineItems.length > 0;
  list.replaceChildren(
    ...outlineItems.map((item, index) => {
      const entry = document.createElement("li");
      entry.className = `outline-${item.kind}`;
      if (item.depth) entry.style.setProperty("--depth", item.depth);
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.index = index;
      button.dataset.line = item.line;
      if (item.kind === "scene") {
        const number = document.createElement("span");
        number.className = "outline-number";
        number.textContent = item.number;
        const heading = document.createElement("span");
        heading.textContent = item.text;
        button.append(number, " ", heading);
      } else button.textContent = item.text;
      button.title = item.text;
      entry.append(button);
      return entry;
    }),
  );
  currentScene = -1;
}

function markCurrentScene(force = false) {
  const line = view.state.doc.lineAt(view.state.selection.main.head).number - 1;
  let index = -1;
  outlineItems.forEach((item, position) => {
    if (item.line <= line) index = position;
  });
  if (index === currentScene && !force) return;
  currentScene = index;
  for (const button of $("outline-list").querySelectorAll("button")) {
    if (Number(button.dataset.index) === index) button.setAttribute("aria-current", "location");
    else button.removeAttribute("aria-current");
  }
  followInPreview(line);
}

function followInPreview(line) {
  let index = -1;
  while (index + 1 < previewLines.length && previewLines[index + 1] <= line) index++;
  const target = preview.children[index];
  preview.querySelector(".fp-current")?.classList.remove("fp-current");
  if (!target) return;
  target.classList.add("fp-current");
  const pane = $("preview-pane");
  const top = target.offsetTop - pane.offsetTop;
  if (top < pane.scrollTop || top > pane.scrollTop + pane.clientHeight - 40) pane.scrollTop = top - pane.clientHeight / 3;
}

function jumpTo(line) {
  const position = view.state.doc.line(line + 1).from;
  view.dispatch({ selection: { anchor: position }, effects: EditorView.scrollIntoView(position, { y: "start", yMargin: 24 }) });
  app.dataset.view = "write";
  syncViewButtons();
  if (narrow.matches) document.querySelectorAll("[data-panel-toggle]").forEach((button) => togglePanel(button, false));
  view.focus();
}

// --- History ------------------------------------------------------------------------------------

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const localDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const SOURCES = { app: "from the app", editor: "in the editor", admin: "in the admin", restore: "restored", import: "imported" };

function ago(iso) {
  const seconds = (new Date(iso) - Date.now()) / 1000;
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(Math.round(seconds), "second");
}

async function refreshHistory() {
  const list = $("history-list");
  const response = await api(`${apiBase}revisions/`).catch(() => null);
  if (!response || !response.ok) {
    $("history-message").textContent = "The history could not be loaded.";
    return;
  }
  const body = await response.json();
  const revisions = Array.isArray(body) ? body : body.results;
  $("history-message").textContent = revisions.length ? "" : "No saved versions yet.";
  list.replaceChildren(
    ...revisions.map((revision) => {
      const entry = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "history-item";
      const pages = revision.page_count ? ` · ${revision.page_count} p.` : "";
      button.innerHTML = `<span class="history-version">Version ${revision.version}</span><span class="history-meta"></span>`;
      const saved = new Date(revision.created_at);
      button.querySelector(".history-meta").textContent = `${localDate.format(saved)} (${ago(revision.created_at)}) · ${SOURCES[revision.source] ?? revision.source}${pages}`;
      if (revision.version === base.version) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => showRevision(revision.version));
      entry.append(button);
      return entry;
    }),
  );
}

async function showRevision(version) {
  const response = await api(`${apiBase}revisions/${version}/`);
  if (!response.ok) {
    $("history-message").textContent = await problem(response);
    return;
  }
  const revision = await response.json();
  $("revision-heading").textContent = `Version ${revision.version}`;
  $("revision-meta").textContent = `“${revision.title}”, saved ${localDate.format(new Date(revision.created_at))} ${SOURCES[revision.source] ?? revision.source}.`;
  $("revision-adds").textContent = `brings back a line of version ${revision.version}`;
  $("revision-diff").innerHTML = diffHtml(lineDiff(currentText(), revision.content), {
    removed: "Restoring removes",
    added: "Restoring brings back",
  });
  const restore = $("revision-restore");
  restore.textContent = `Restore version ${revision.version}`;
  restore.disabled = revision.version === base.version && !isDirty();
  restore.onclick = () => restoreRevision(revision.version);
  $("revision-dialog").showModal();
}

async function restoreRevision(version) {
  if (isDirty()) await save();
  if (conflict) return;
  const response = await api(`${apiBase}restore/`, { method: "POST", json: { version, based_on_version: base.version } });
  $("revision-dialog").close();
  if (response.ok) {
    const row = await response.json();
    adopt(row);
    replaceText(row.content, row.title);
    dropDrafts();
    setStatus("saved");
    refreshHistory();
    refreshStatistics();
  } else if (response.status === 409) {
    showConflict((await response.json()).current);
  } else setStatus("error", await problem(response));
}

// --- Statistics ---------------------------------------------------------------------------------

function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

let statisticsAsked = 0;
let countedVersion = null;

/** Ask for the saved version's figures; until they come, the page count says it is being counted. */
async function refreshStatistics() {
  const asked = ++statisticsAsked;
  if (countedVersion !== base.version) {
    $("toolbar-pages").textContent = "counting…";
    $("stat-pages").textContent = "counting…";
  }
  const response = await api(`${apiBase}statistics/`).catch(() => null);
  if (!response || !response.ok) return;
  const stats = await response.json();
  // A later save asked again meanwhile: only the newest answer is shown.
  if (asked !== statisticsAsked) return;
  countedVersion = stats.version;
  const counts = (values) => Object.entries(values || {}).map(([name, count]) => `${name} ${count}`).join(" · ") || "—";
  $("stat-scenes").textContent = stats.scenes;
  $("stat-pages").textContent = stats.pages;
  $("stat-words").textContent = stats.words.toLocaleString();
  $("stat-time").textContent = duration(stats.running_time_seconds);
  $("stat-int-ext").textContent = counts(stats.int_ext);
  $("stat-day-night").textContent = counts(stats.day_night);
  $("toolbar-pages").textContent = `${stats.pages} ${stats.pages === 1 ? "page" : "pages"}`;
  $("stat-characters").replaceChildren(
    ...stats.characters.map((character) => {
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = character.name;
      const lines = document.createElement("td");
      lines.textContent = character.lines;
      row.append(name, lines);
      return row;
    }),
  );
}

// --- Exports and scene drafts --------------------------------------------------------------------

for (const link of document.querySelectorAll("[data-export]")) {
  link.addEventListener("click", async (event) => {
    if (!isDirty()) return;
    event.preventDefault();
    await save();
    if (!isDirty()) window.location.href = link.href;
  });
}

async function createSceneDrafts(mode) {
  if (isDirty()) await save();
  const message = $("drafts-message");
  const seconds = Number($("drafts-duration").value);
  if (!(seconds > 0)) {
    message.textContent = "Give each scene a duration above zero seconds.";
    return;
  }
  message.textContent = "Creating scene drafts…";
  const response = await api(`${apiBase}scene_drafts/`, { method: "POST", json: { mode, default_duration: seconds } });
  const body = await response.json().catch(() => ({}));
  const choices = $("drafts-choices");
  if (response.ok) {
    const count = Array.isArray(body) ? body.length : (body.results || []).length;
    message.textContent = `${count} scene ${count === 1 ? "draft is" : "drafts are"} on the timeline.`;
    choices.hidden = true;
    $("drafts-create").hidden = true;
    $("open-timeline").hidden = false;
    $("open-timeline").focus();
  } else if (response.status === 409 && body.code === "scene_drafts_exist") {
    message.textContent = "This project already has scene drafts. Replace them, or append these scenes after them?";
    choices.hidden = false;
    $("drafts-create").hidden = true;
    $("drafts-replace").focus();
  } else {
    message.textContent = `Error: ${body.detail || Object.values(body).flat().join(" ") || response.status}`;
  }
}

function openDraftsDialog() {
  $("drafts-message").textContent = "";
  $("drafts-choices").hidden = true;
  $("drafts-create").hidden = false;
  $("open-timeline").hidden = true;
  $("drafts-dialog").showModal();
}

// --- Panels and the Write/Preview switch ---------------------------------------------------------

function syncViewButtons() {
  for (const button of document.querySelectorAll("[data-show-view]")) {
    button.setAttribute("aria-pressed", String(button.dataset.showView === app.dataset.view));
  }
}

function togglePanel(button, open = button.getAttribute("aria-expanded") !== "true") {
  button.setAttribute("aria-expanded", String(open));
  $(button.getAttribute("aria-controls")).hidden = !open;
  app.classList.toggle("has-panels", [...document.querySelectorAll("[data-panel-toggle]")].some((each) => each.getAttribute("aria-expanded") === "true"));
  if (open && button.dataset.panelToggle === "history") refreshHistory();
}

// --- The preview's zoom, the panes shown and smart Enter, remembered per writer in this browser ------

const ZOOM_STEPS = [0.5, 0.67, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2];
const PRINTED_FONT_PX = 16; // 12pt Courier, the printed page at 100 %
const layoutKey = `directorstudio:${app.dataset.writer}:editor-layout`;

function storedLayout() {
  try {
    return { zoom: "fit", preview: true, ...JSON.parse(localStorage.getItem(layoutKey) || "{}") };
  } catch {
    return { zoom: "fit", preview: true };
  }
}

const layout = storedLayout();

function keepLayout() {
  try {
    localStorage.setItem(layoutKey, JSON.stringify(layout));
  } catch {
    // Without storage the layout holds for this page only.
  }
}

function applyZoom() {
  const fit = layout.zoom === "fit";
  if (fit) preview.style.removeProperty("--preview-font-size");
  else preview.style.setProperty("--preview-font-size", `${PRINTED_FONT_PX * layout.zoom}px`);
  const scale = fit ? parseFloat(getComputedStyle(preview).fontSize) / PRINTED_FONT_PX : layout.zoom;
  $("zoom-level").textContent = `${fit ? "Fit, " : ""}${Math.round(scale * 100)} %`;
}

/** Zoom "fit" (the pane's width), "actual" (the printed size), or one step "in" or "out" from the scale shown. */
function setZoom(choice) {
  if (choice === "fit") layout.zoom = "fit";
  else if (choice === "actual") layout.zoom = 1;
  else {
    const shown = parseFloat(getComputedStyle(preview).fontSize) / PRINTED_FONT_PX;
    const steps = choice === "in" ? ZOOM_STEPS.filter((step) => step > shown + 0.01) : ZOOM_STEPS.filter((step) => step < shown - 0.01).reverse();
    layout.zoom = steps[0] ?? (choice === "in" ? ZOOM_STEPS.at(-1) : ZOOM_STEPS[0]);
  }
  applyZoom();
  keepLayout();
}

function showPreview(shown) {
  layout.preview = shown;
  app.classList.toggle("no-preview", !shown);
  $("preview-toggle").setAttribute("aria-expanded", String(shown));
}

function toggleOutline() {
  const button = document.querySelector('[data-panel-toggle="outline"]');
  togglePanel(button);
  if (narrow.matches) return;
  layout.outline = button.getAttribute("aria-expanded") === "true";
  keepLayout();
}

function togglePreview() {
  showPreview(app.classList.contains("no-preview"));
  keepLayout();
}

const ZOOM_KEYS = { Equal: "in", NumpadAdd: "in", Minus: "out", NumpadSubtract: "out", Digit0: "fit", Digit1: "actual" };

// Alt+Shift with a key's position (event.code), which the Option key on a Mac does not change.
function layoutShortcut(event) {
  if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
  if (event.code === "KeyO") toggleOutline();
  else if (event.code === "KeyP") togglePreview();
  else if (event.code in ZOOM_KEYS) setZoom(ZOOM_KEYS[event.code]);
  else return;
  event.preventDefault();
  event.stopPropagation();
}

// --- Wiring -------------------------------------------------------------------------------------

const view = new EditorView({
  parent: $("editor-host"),
  state: EditorState.create({
    doc: initial.content,
    extensions: [
      history(),
      drawSelection(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      EditorView.lineWrapping,
      StreamLanguage.define(fountainMode),
      syntaxHighlighting(fountainHighlight),
      capsLine,
      capitalsOnCueLine,
      multiLineInput,
      autocompletion({ override: [fountainCompletions], icons: false }),
      search({ top: true }),
      placeholder("INT. SOMEWHERE - DAY\n\nStart writing…"),
      Prec.high(keymap.of([{ key: "Enter", run: smartEnter }, { key: "Tab", run: smartTab }])),
      keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap]),
      EditorView.contentAttributes.of({ "aria-label": "Screenplay", spellcheck: "true", autocapitalize: "sentences" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) {
          schedulePreview();
          if (!replacing) edited();
        } else if (update.selectionSet) markCurrentScene();
      }),
    ],
  }),
});

const smartEnterBox = $("smart-enter");
smartEnterBox.checked = layout.smartEnter !== false;
smartEnterBox.addEventListener("change", () => {
  layout.smartEnter = smartEnterBox.checked;
  keepLayout();
});
showPreview(layout.preview);
applyZoom();
new ResizeObserver(() => layout.zoom === "fit" && applyZoom()).observe($("preview-pane"));
document.addEventListener("keydown", layoutShortcut, true);
$("preview-toggle").addEventListener("click", togglePreview);
for (const button of document.querySelectorAll("[data-zoom]")) button.addEventListener("click", () => setZoom(button.dataset.zoom));
titleInput.addEventListener("input", edited);
$("save-button").addEventListener("click", () => save());
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
    event.preventDefault();
    save();
  }
});
$("outline-list").addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (button) jumpTo(Number(button.dataset.line));
});
preview.addEventListener("dblclick", (event) => {
  const index = [...preview.children].findIndex((element) => element.contains(event.target));
  if (index >= 0) jumpTo(previewLines[index]);
});
for (const button of document.querySelectorAll("[data-panel-toggle]")) {
  button.addEventListener("click", () => (button.dataset.panelToggle === "outline" ? toggleOutline() : togglePanel(button)));
}
for (const button of document.querySelectorAll("[data-show-view]")) {
  button.addEventListener("click", () => {
    app.dataset.view = button.dataset.showView;
    syncViewButtons();
    if (app.dataset.view === "write") view.focus();
  });
}
$("keep-mine").addEventListener("click", () => resolveConflict("mine"));
$("take-theirs").addEventListener("click", () => resolveConflict("theirs"));
$("merge-by-hand").addEventListener("click", () => resolveConflict("merge"));
$("conflict-dialog").addEventListener("cancel", (event) => event.preventDefault());
$("scene-drafts-button").addEventListener("click", openDraftsDialog);
$("drafts-create").addEventListener("click", () => createSceneDrafts("create"));
$("drafts-replace").addEventListener("click", () => createSceneDrafts("replace"));
$("drafts-append").addEventListener("click", () => createSceneDrafts("append"));
for (const button of document.querySelectorAll("[data-close-dialog]")) button.addEventListener("click", () => button.closest("dialog").close());
window.addEventListener("online", () => {
  if (isDirty()) save({ autosave: true });
});
window.addEventListener("offline", () => {
  if (isDirty()) {
    keepDraft();
    setStatus("offline");
  }
});
window.addEventListener("pagehide", keepDraft);
window.addEventListener("beforeunload", (event) => {
  if (isDirty()) {
    keepDraft();
    event.preventDefault();
    event.returnValue = "";
  }
});

const narrow = window.matchMedia("(max-width: 1000px)");
if (narrow.matches || layout.outline === false) togglePanel(document.querySelector('[data-panel-toggle="outline"]'), false);

// "More": at tablet width the exports, scene drafts and the keyboard help are a menu behind one button.
const moreButton = $("more-button");
const moreMenu = $("toolbar-more");
const moreItems = () => [...moreMenu.querySelectorAll("a, button")];

function setMoreRoles() {
  const isMenu = narrow.matches;
  if (isMenu) moreMenu.setAttribute("role", "menu");
  else moreMenu.removeAttribute("role");
  for (const item of moreItems()) {
    if (isMenu) {
      item.setAttribute("role", "menuitem");
      item.tabIndex = -1;
    } else {
      item.removeAttribute("role");
      item.removeAttribute("tabindex");
    }
  }
  if (!isMenu) closeMore();
}

function openMore(focusLast = false) {
  moreMenu.classList.add("is-open");
  moreButton.setAttribute("aria-expanded", "true");
  const items = moreItems();
  items[focusLast ? items.length - 1 : 0].focus();
}

function closeMore(returnFocus = false) {
  if (!moreMenu.classList.contains("is-open")) return;
  moreMenu.classList.remove("is-open");
  moreButton.setAttribute("aria-expanded", "false");
  if (returnFocus) moreButton.focus();
}

moreButton.addEventListener("click", () => {
  if (moreMenu.classList.contains("is-open")) closeMore();
  else openMore();
});
moreButton.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    openMore(event.key === "ArrowUp");
  }
});
moreMenu.addEventListener("keydown", (event) => {
  if (!narrow.matches) return;
  const items = moreItems();
  const index = items.indexOf(document.activeElement);
  const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 };
  if (event.key in moves) {
    event.preventDefault();
    items[(moves[event.key] + items.length) % items.length].focus();
  } else if (event.key === "Escape") {
    event.preventDefault();
    closeMore(true);
  } else if (event.key === "Tab") closeMore();
});
// A dialog opened from the menu would give focus back to the menu's item, hidden by then: "More" takes it.
let dialogFromMenu = null;
for (const dialog of document.querySelectorAll("dialog")) {
  dialog.addEventListener("close", () => {
    if (dialogFromMenu === dialog) moreButton.focus();
    dialogFromMenu = null;
  });
}
moreMenu.addEventListener("click", (event) => {
  if (narrow.matches && event.target.closest("a, button")) {
    closeMore();
    dialogFromMenu = document.querySelector("dialog[open]");
  }
});
document.addEventListener("pointerdown", (event) => {
  if (!moreMenu.contains(event.target) && !moreButton.contains(event.target)) closeMore();
});
narrow.addEventListener("change", setMoreRoles);
setMoreRoles();
refreshPreview();
refreshOutline();
syncViewButtons();
setStatus("saved");
refreshStatistics();
offerKeptDraft();
app.dataset.ready = "true";
view.focus();
