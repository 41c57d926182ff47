// The timeline of one project: scenes as cards sized by duration, reorder (drag or keyboard), edit, generate
// clips and follow them with one poll for the whole project, play the film, export it, and upload footage.
import Sortable from "sortablejs";
import { apiClient, problemText } from "./api.js";

const app = document.getElementById("timeline-app");
const data = JSON.parse(document.getElementById("timeline-data").textContent);
const api = apiClient(app.dataset.csrf);
const projectId = data.project.id;
const DURATION_MAX = data.duration_max;
const ZOOMS = [16, 28, 44, 64, 96]; // pixels per second of film
const MIN_CARD = 200; // pixels: a short scene's card still shows its controls
const POLL_MS = 1500;
const RUNNING = new Set(["queued", "processing"]);
const $ = (id) => document.getElementById(id);

let scenes = data.scenes; // in order
let state = data.state;
let clips = new Map(state.clip_jobs.map((job) => [job.scene_draft_id, job]));
let zoom = 2;
let editing = null; // id of the scene whose card shows its form
let pollTimer = null;

// --- Helpers -----------------------------------------------------------------------------------

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function clock(seconds) {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function seconds(value) {
  return `${Number.isInteger(value) ? value : value.toFixed(1)} s`;
}

function announce(text) {
  $("timeline-status").textContent = text;
}

function alertProblem(text) {
  const box = $("timeline-alert");
  box.textContent = text;
  box.hidden = !text;
}

function cardWidth(scene) {
  return Math.max(MIN_CARD, Math.round(scene.duration * ZOOMS[zoom]));
}

function sceneById(id) {
  return scenes.find((scene) => scene.id === id);
}

// A scene heading at the start of a prompt written by hand: "INT. DINER - NIGHT. Rain…" gives "INT. DINER - NIGHT".
const HEADING_START = /^((?:INT\.?\/EXT|I\/E|INT|EXT|EST)\.?\s.*?)(?:\.\s|\.?$)/i;

/** The scene's heading (the screenplay's, else one its prompt opens with) and the rest of its prompt. */
function sceneTitle(scene) {
  const prompt = scene.prompt_text;
  const known = data.headings.filter((heading) => prompt === heading || prompt.startsWith(`${heading}. `));
  const heading = known.sort((a, b) => b.length - a.length)[0] ?? HEADING_START.exec(prompt)?.[1];
  if (!heading) return { heading: null, rest: prompt };
  return { heading, rest: prompt.slice(heading.length).replace(/^\.\s*/, "") };
}

function sceneName(scene, number) {
  const { heading } = sceneTitle(scene);
  return heading ? `Scene ${number}: ${heading}` : `Scene ${number}`;
}

function cardOf(id) {
  return document.querySelector(`.scene-card[data-id="${id}"]`);
}

// --- Rendering ---------------------------------------------------------------------------------

function statusHtml(job) {
  if (!job) return `<p class="clip-status" data-status="none">No clip yet</p>`;
  const since = job.started_at || job.submitted_at;
  switch (job.status) {
    case "queued":
      return `<p class="clip-status" data-status="queued">Queued <span class="elapsed" data-since="${since}"></span></p>`;
    case "processing":
      return `<p class="clip-status" data-status="processing">Generating <span class="elapsed" data-since="${since}"></span></p>`;
    case "completed":
      return `<p class="clip-status" data-status="completed">Clip ready</p>`;
    case "failed":
      return `<p class="clip-status" data-status="failed">Failed: ${escapeHtml(job.error_message || "the clip could not be made")}. The credit came back.</p>`;
    default:
      return `<p class="clip-status" data-status="${escapeHtml(job.status)}">Cancelled. The credit came back.</p>`;
  }
}

function mediaHtml(scene, number) {
  const job = clips.get(scene.id);
  if (job?.status === "completed") {
    return `<video class="scene-card__video" controls preload="none" playsinline poster="${escapeHtml(job.poster_url)}" src="${escapeHtml(job.download_url)}" aria-label="Clip of scene ${number}"></video>`;
  }
  const running = job && RUNNING.has(job.status);
  return `<div class="scene-card__placeholder${running ? " is-running" : ""}" aria-hidden="true"><span>${number}</span></div>`;
}

// The continuity engine's latest verdict on the scene, with its issues on hover or focus.
function continuityHtml(scene) {
  const check = data.continuity[scene.id];
  if (!check) return "";
  const id = `continuity-${scene.id}`;
  const verdict = check.passed ? "passed" : "needs a look";
  const issues = check.issues.length
    ? check.issues.map((issue) => `<li>${escapeHtml(issue)}</li>`).join("")
    : "<li>No issues.</li>";
  return `<div class="continuity-mark" data-passed="${check.passed}">
      <button type="button" class="continuity-mark__badge" aria-describedby="${id}"><span aria-hidden="true">${check.passed ? "✓" : "!"}</span> Continuity ${check.confidence.toFixed(2)}<span class="visually-hidden">: ${verdict}</span></button>
      <ul class="continuity-mark__issues" id="${id}" role="tooltip">${issues}</ul>
    </div>`;
}

function viewHtml(scene, number, total) {
  const job = clips.get(scene.id);
  const tags = [scene.scene_type, scene.shot_type].filter(Boolean).map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join("");
  const running = job && RUNNING.has(job.status);
  const { heading, rest } = sceneTitle(scene);
  return `
    <div class="scene-card__media">${mediaHtml(scene, number)}</div>
    <div class="scene-card__body">
      <p class="scene-card__head"><span class="scene-card__number">Scene ${number}</span><span class="scene-card__duration">${seconds(scene.duration)}</span></p>
      ${heading ? `<h2 class="scene-card__title" title="${escapeHtml(heading)}">${escapeHtml(heading)}</h2>` : ""}
      <p class="scene-card__prompt" title="${escapeHtml(scene.prompt_text)}">${escapeHtml(rest)}</p>
      <p class="scene-card__tags">${tags || '<span class="muted small">No scene or shot type</span>'}</p>
      ${continuityHtml(scene)}
      ${statusHtml(job)}
      <div class="scene-card__actions">
        <button type="button" class="button button--primary button--small" data-action="generate"${running ? " disabled" : ""}>${job?.status === "completed" ? "Generate again" : "Generate clip"}</button>
        <button type="button" class="button button--secondary button--small" data-action="edit">Edit</button>
      </div>
      <div class="scene-card__tools">
        <button type="button" class="icon-button" data-action="earlier" title="Move earlier"${number === 1 ? " disabled" : ""}><span aria-hidden="true">←</span><span class="visually-hidden">Move earlier</span></button>
        <button type="button" class="icon-button" data-action="later" title="Move later"${number === total ? " disabled" : ""}><span aria-hidden="true">→</span><span class="visually-hidden">Move later</span></button>
        <button type="button" class="icon-button" data-action="add-after" title="Add a scene after this one"><span aria-hidden="true">+</span><span class="visually-hidden">Add scene after</span></button>
        <button type="button" class="icon-button icon-button--danger" data-action="delete" title="Delete scene"><span aria-hidden="true">✕</span><span class="visually-hidden">Delete scene</span></button>
      </div>
    </div>`;
}

function formHtml(scene, number) {
  const field = (name, label, input) => `
    <div class="field" data-field="${name}">
      <label class="field__label" for="edit-${name}-${scene.id}">${label}</label>
      ${input}
      <p class="field__error" id="edit-${name}-${scene.id}-error" hidden></p>
    </div>`;
  const described = (name) => `id="edit-${name}-${scene.id}" name="${name}" aria-describedby="edit-${name}-${scene.id}-error"`;
  return `
    <form class="scene-card__form" data-id="${scene.id}" aria-label="Edit scene ${number}" novalidate>
      <p class="scene-card__head"><span class="scene-card__number">Scene ${number}</span></p>
      ${field("prompt_text", "Prompt", `<textarea ${described("prompt_text")} rows="4" maxlength="4000" required>${escapeHtml(scene.prompt_text)}</textarea>`)}
      <div class="field-row">
        ${field("duration", "Duration (seconds)", `<input ${described("duration")} type="number" min="0.1" max="${DURATION_MAX}" step="0.1" required value="${scene.duration}">`)}
      </div>
      <div class="field-row">
        ${field("scene_type", "Scene type", `<input ${described("scene_type")} list="scene-types" maxlength="50" value="${escapeHtml(scene.scene_type)}">`)}
        ${field("shot_type", "Shot type", `<input ${described("shot_type")} list="shot-types" maxlength="50" value="${escapeHtml(scene.shot_type)}">`)}
      </div>
      <div class="form__actions">
        <button type="submit" class="button button--primary button--small">Save scene</button>
        <button type="button" class="button button--secondary button--small" data-action="cancel-edit">Cancel</button>
      </div>
    </form>`;
}

function cardHtml(scene, index) {
  const number = index + 1;
  const isEditing = editing === scene.id;
  return `<li class="scene-card${isEditing ? " is-editing" : ""}" data-id="${scene.id}" style="--card-width:${cardWidth(scene)}px" aria-label="${escapeHtml(sceneName(scene, number))}">${
    isEditing ? formHtml(scene, number) : viewHtml(scene, number, scenes.length)
  }</li>`;
}

function renderTotals() {
  const total = scenes.reduce((sum, scene) => sum + scene.duration, 0);
  const finished = scenes.filter((scene) => clips.get(scene.id)?.status === "completed").length;
  $("total-scenes").textContent = String(scenes.length);
  $("total-time").textContent = clock(total);
  $("total-clips").textContent = `${finished} of ${scenes.length}`;
  $("credit-balance").textContent = String(state.credits);
}

function renderRuler() {
  let start = 0;
  $("ruler").innerHTML = scenes
    .map((scene) => {
      const mark = `<span class="ruler__mark" style="--card-width:${cardWidth(scene)}px; --tick:${ZOOMS[zoom]}px">${clock(start)}</span>`;
      start += scene.duration;
      return mark;
    })
    .join("") + `<span class="ruler__end">${clock(start)}</span>`;
}

function render() {
  $("scene-list").innerHTML = scenes.map(cardHtml).join("");
  renderRuler();
  renderTotals();
  tickElapsed();
}

function renderCard(id) {
  const index = scenes.findIndex((scene) => scene.id === id);
  const card = cardOf(id);
  if (index < 0 || !card) return;
  const playing = card.querySelector("video");
  if (playing && !playing.paused) return; // never cut a clip the writer is watching
  card.outerHTML = cardHtml(scenes[index], index);
}

// --- Order -------------------------------------------------------------------------------------

async function saveOrder(newOrder, previous, what) {
  scenes = newOrder;
  render();
  const result = await api.call("POST", `${app.dataset.sceneDrafts}reorder/`, { project_id: projectId, ids: scenes.map((s) => s.id) });
  if (!result.ok) {
    scenes = previous;
    render();
    alertProblem(`The new order was not saved, so the scenes are back where they were. ${problemText(result)}`);
    return false;
  }
  alertProblem("");
  const order = new Map(result.body.map((row) => [row.id, row]));
  scenes = scenes.map((scene) => order.get(scene.id) || scene);
  announce(what);
  return true;
}

async function move(id, delta, focusAction) {
  const from = scenes.findIndex((scene) => scene.id === id);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= scenes.length) return;
  const previous = scenes.slice();
  const next = scenes.slice();
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved);
  const saved = await saveOrder(next, previous, `Scene moved to position ${to + 1} of ${scenes.length}.`);
  const target = cardOf(id)?.querySelector(`[data-action="${focusAction}"]:not([disabled])`) || cardOf(id)?.querySelector("[data-action=edit]");
  target?.focus();
  if (saved) cardOf(id)?.scrollIntoView({ block: "nearest", inline: "nearest" });
}

Sortable.create($("scene-list"), {
  animation: 150,
  forceFallback: true,
  fallbackTolerance: 4,
  filter: "button, input, textarea, select, video, .scene-card__form, .scene-card__form *",
  preventOnFilter: false,
  draggable: ".scene-card",
  ghostClass: "is-ghost",
  chosenClass: "is-chosen",
  scroll: true,
  scrollSensitivity: 120,
  onEnd(event) {
    if (event.oldIndex === event.newIndex) return;
    const previous = scenes.slice();
    const ids = [...$("scene-list").children].map((card) => card.dataset.id);
    const next = ids.map(sceneById);
    saveOrder(next, previous, `Scene moved to position ${event.newIndex + 1} of ${scenes.length}.`);
  },
});

// --- Add, edit, delete -------------------------------------------------------------------------

async function addScene(afterId) {
  alertProblem("");
  const last = scenes.reduce((max, scene) => Math.max(max, scene.order_index), -1);
  const result = await api.call("POST", app.dataset.sceneDrafts, {
    project_id: projectId,
    order_index: last + 1,
    prompt_text: "New scene: describe what the camera sees",
    duration: 4,
  });
  if (!result.ok) return alertProblem(`The scene was not added. ${problemText(result)}`);
  const scene = result.body;
  editing = scene.id;
  if (afterId && afterId !== scenes[scenes.length - 1].id) {
    const previous = [...scenes, scene];
    const next = scenes.slice();
    next.splice(scenes.findIndex((s) => s.id === afterId) + 1, 0, scene);
    scenes = previous;
    await saveOrder(next, previous, "Scene added.");
  } else {
    scenes = [...scenes, scene];
    render();
    announce("Scene added at the end.");
  }
  const form = cardOf(scene.id);
  form?.scrollIntoView({ block: "nearest", inline: "center" });
  const prompt = form?.querySelector("textarea");
  prompt?.focus();
  prompt?.select();
}

function showFieldErrors(form, errors) {
  form.querySelectorAll(".field__error").forEach((p) => {
    p.hidden = true;
    p.textContent = "";
  });
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  let first = null;
  for (const [name, messages] of Object.entries(errors)) {
    const input = form.elements[name];
    const error = input && $(`${input.id}-error`);
    if (!error) continue;
    error.textContent = [].concat(messages).join(" ");
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    first ??= input;
  }
  first?.focus();
  return first !== null;
}

async function saveEdit(form) {
  const id = form.dataset.id;
  const values = {
    prompt_text: form.elements.prompt_text.value.trim(),
    duration: Number(form.elements.duration.value),
    scene_type: form.elements.scene_type.value.trim() || null,
    shot_type: form.elements.shot_type.value.trim() || null,
  };
  const local = {};
  if (!values.prompt_text) local.prompt_text = ["Write what the camera sees."];
  if (!(values.duration > 0 && values.duration <= DURATION_MAX)) local.duration = [`Between 0.1 and ${DURATION_MAX} seconds.`];
  if (Object.keys(local).length) return showFieldErrors(form, local);
  const result = await api.call("PATCH", `${app.dataset.sceneDrafts}${id}/`, values);
  if (!result.ok) {
    if (result.status === 400 && result.body && !result.body.detail && showFieldErrors(form, result.body)) return;
    return alertProblem(`The scene was not saved. ${problemText(result)}`);
  }
  alertProblem("");
  scenes = scenes.map((scene) => (scene.id === id ? result.body : scene));
  editing = null;
  render();
  announce("Scene saved.");
  cardOf(id)?.querySelector("[data-action=edit]")?.focus();
}

let deleting = null;
function askDelete(id) {
  deleting = id;
  const index = scenes.findIndex((scene) => scene.id === id);
  $("delete-number").textContent = String(index + 1);
  $("delete-prompt").textContent = scenes[index].prompt_text;
  $("delete-dialog").showModal();
}

$("delete-confirm").addEventListener("click", async () => {
  $("delete-dialog").close();
  const id = deleting;
  const index = scenes.findIndex((scene) => scene.id === id);
  const result = await api.call("DELETE", `${app.dataset.sceneDrafts}${id}/`);
  if (!result.ok) return alertProblem(`The scene was not deleted. ${problemText(result)}`);
  scenes = scenes.filter((scene) => scene.id !== id);
  clips.delete(id);
  render();
  announce(scenes.length ? `Scene ${index + 1} deleted.` : "Scene deleted. The project has no scene left: add one to keep it.");
  const next = $("scene-list").children[Math.min(index, scenes.length - 1)];
  (next?.querySelector("[data-action=edit]") || $("add-scene")).focus();
});

// --- Generate ----------------------------------------------------------------------------------

function payingKey() {
  // With several ledger rows the one with the most credits pays (the API needs a key then).
  return state.ledger.length > 1 ? { user_key: state.ledger[0].user_key } : {};
}

function creditProblem(result) {
  if (result.status === 402) {
    const left = result.body?.credits ?? 0;
    return `No credit left: you have ${left} credit${left === 1 ? "" : "s"}, and a clip costs 1. Buy a credit pack in the DirectorStudio app, then generate again.`;
  }
  return problemText(result);
}

async function generate(id) {
  alertProblem("");
  const button = cardOf(id)?.querySelector("[data-action=generate]");
  if (button) button.disabled = true;
  const result = await api.call("POST", `${app.dataset.sceneDrafts}${id}/clip_jobs/`, payingKey());
  if (!result.ok) {
    if (button) button.disabled = false;
    return alertProblem(`No clip was generated. ${creditProblem(result)}`);
  }
  clips.set(id, result.body);
  state.credits = Math.max(0, state.credits - 1);
  renderCard(id);
  renderTotals();
  announce(`Clip of scene ${scenes.findIndex((s) => s.id === id) + 1} queued.`);
  schedulePoll();
}

function withoutClip() {
  return scenes.filter((scene) => {
    const job = clips.get(scene.id);
    return !job || !(RUNNING.has(job.status) || job.status === "completed");
  });
}

$("generate-all").addEventListener("click", () => {
  const count = withoutClip().length;
  $("generate-cost").textContent = count
    ? `${count} scene${count === 1 ? "" : "s"} without a clip: ${count} credit${count === 1 ? "" : "s"}. You have ${state.credits}.`
    : "Every scene has a clip or one on its way.";
  $("generate-confirm").hidden = count === 0;
  $("generate-confirm").textContent = `Generate ${count} clip${count === 1 ? "" : "s"}`;
  $("generate-dialog").showModal();
});

$("generate-confirm").addEventListener("click", async () => {
  $("generate-dialog").close();
  alertProblem("");
  const result = await api.call("POST", `${app.dataset.sceneDrafts}clip_jobs/`, { project_id: projectId, ...payingKey() });
  if (!result.ok) return alertProblem(`No clip was generated. ${creditProblem(result)}`);
  result.body.forEach((job) => clips.set(job.scene_draft_id, job));
  state.credits = Math.max(0, state.credits - result.body.length);
  render();
  announce(`${result.body.length} clip${result.body.length === 1 ? "" : "s"} queued.`);
  schedulePoll();
});

// --- One poll for the whole project ------------------------------------------------------------

function busy() {
  return [...clips.values()].some((job) => RUNNING.has(job.status)) || RUNNING.has(state.film_export?.status);
}

function schedulePoll() {
  if (pollTimer === null) pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  pollTimer = null;
  const result = await api.call("GET", `${app.dataset.projectStates}${encodeURIComponent(projectId)}/`);
  if (result.ok) applyState(result.body);
  if (busy() || !result.ok) schedulePoll();
}

function applyState(next) {
  const before = clips;
  state = next;
  clips = new Map(next.clip_jobs.map((job) => [job.scene_draft_id, job]));
  for (const [id, job] of clips) {
    const old = before.get(id);
    if (!old || old.id !== job.id || old.status !== job.status) renderCard(id);
    if (old && old.status !== job.status && (job.status === "completed" || job.status === "failed")) {
      announce(`Scene ${scenes.findIndex((s) => s.id === id) + 1}: ${job.status === "completed" ? "clip ready" : "clip failed, the credit came back"}.`);
    }
  }
  renderTotals();
  renderExport();
  renderUploads();
}

function tickElapsed() {
  const now = Date.now();
  document.querySelectorAll(".elapsed[data-since]").forEach((span) => {
    span.textContent = clock(Math.max(0, (now - Date.parse(span.dataset.since)) / 1000));
  });
}
setInterval(tickElapsed, 1000);

// --- Play all ----------------------------------------------------------------------------------

const player = $("film-player");
let playlist = [];
let playing = -1;

function highlight(id) {
  document.querySelectorAll(".scene-card.is-playing").forEach((card) => {
    card.classList.remove("is-playing");
    card.removeAttribute("aria-current");
  });
  const card = id && cardOf(id);
  if (card) {
    card.classList.add("is-playing");
    card.setAttribute("aria-current", "true");
    card.scrollIntoView({ block: "nearest", inline: "center", behavior: "smooth" });
  }
}

function playAt(index) {
  playing = index;
  if (index >= playlist.length) {
    highlight(null);
    $("player-now").textContent = "The end.";
    announce("The film has ended.");
    return;
  }
  const { scene, job, number, start } = playlist[index];
  player.poster = job.poster_url;
  player.src = job.download_url;
  player.play().catch(() => {});
  highlight(scene.id);
  $("player-now").textContent = `${sceneName(scene, number)} · clip ${index + 1} of ${playlist.length} · starts at ${clock(start)}`;
}

$("play-all").addEventListener("click", () => {
  let start = 0;
  playlist = [];
  const missing = [];
  scenes.forEach((scene, index) => {
    const job = clips.get(scene.id);
    if (job?.status === "completed") {
      playlist.push({ scene, job, number: index + 1, start });
      start += scene.duration;
    } else missing.push(sceneName(scene, index + 1));
  });
  if (!playlist.length) return alertProblem("No scene has a finished clip to play yet: generate some first.");
  alertProblem("");
  $("player-missing").hidden = !missing.length;
  $("player-missing-list").replaceChildren(
    ...missing.map((name) => Object.assign(document.createElement("li"), { textContent: name })),
  );
  document.querySelectorAll(".scene-card video").forEach((video) => video.pause());
  $("player").hidden = false;
  playAt(0);
  player.focus();
});

player.addEventListener("ended", () => {
  if (playing >= 0) playAt(playing + 1);
});

$("player-stop").addEventListener("click", () => {
  player.pause();
  playing = -1;
  highlight(null);
  $("player").hidden = true;
  $("play-all").focus();
});

// --- Export film -------------------------------------------------------------------------------

function renderExport() {
  const film = state.film_export;
  $("export-panel").hidden = !film;
  if (!film) return;
  const body = $("export-body");
  if (RUNNING.has(film.status)) {
    const percent = Math.round(film.progress * 100);
    body.innerHTML = `<label for="export-progress" class="small">${film.status === "queued" ? "Waiting for a worker" : "Joining the clips"}: ${percent}%</label>
      <progress id="export-progress" max="100" value="${percent}">${percent}%</progress>`;
  } else if (film.status === "completed") {
    body.innerHTML = `<p><a id="film-download" class="button button--primary button--small" href="${escapeHtml(film.download_url)}" download="film.mp4">Download film (${clock(film.duration)})</a>
      <span class="small muted">One MP4, ${film.missing === "skip" ? "scenes without a clip skipped" : "title cards for scenes without a clip"}.</span></p>`;
  } else {
    body.innerHTML = `<p class="message message--error">The export failed: ${escapeHtml(film.error_message)}</p>`;
  }
}

$("export-film").addEventListener("click", () => $("export-dialog").showModal());

$("export-confirm").addEventListener("click", async () => {
  const missing = $("export-dialog").querySelector("input[name=missing]:checked").value;
  $("export-dialog").close();
  const result = await api.call("POST", app.dataset.filmExports, { project_id: projectId, missing });
  if (!result.ok) return alertProblem(`The export did not start. ${problemText(result)}`);
  alertProblem("");
  state.film_export = result.body;
  renderExport();
  announce("Film export started.");
  schedulePoll();
});

// --- Uploads -----------------------------------------------------------------------------------

let uploadsKey = "";

function renderUploads() {
  const uploads = state.video_uploads;
  const key = JSON.stringify(uploads.map((u) => [u.id, u.order_index]));
  $("uploads-empty").hidden = uploads.length > 0;
  if (key === uploadsKey) return;
  uploadsKey = key;
  $("upload-list").innerHTML = uploads
    .map((upload, index) => `
      <li class="upload-item" data-id="${upload.id}" aria-label="Upload ${index + 1}">
        ${upload.video_url ? `<video controls preload="metadata" playsinline src="${escapeHtml(upload.video_url)}" aria-label="Upload ${index + 1}"></video>` : `<p class="small muted">${escapeHtml(upload.filename)}</p>`}
        <p class="small"><strong>Upload ${index + 1}</strong> <span class="muted">${new Date(upload.uploaded_at).toLocaleString()}</span></p>
        <div class="cluster">
          <button type="button" class="icon-button" data-upload-action="earlier" title="Move earlier"${index === 0 ? " disabled" : ""}><span aria-hidden="true">←</span><span class="visually-hidden">Move earlier</span></button>
          <button type="button" class="icon-button" data-upload-action="later" title="Move later"${index === uploads.length - 1 ? " disabled" : ""}><span aria-hidden="true">→</span><span class="visually-hidden">Move later</span></button>
          <button type="button" class="button button--secondary button--small" data-upload-action="delete">Delete upload</button>
        </div>
      </li>`)
    .join("");
}

async function refreshState() {
  const result = await api.call("GET", `${app.dataset.projectStates}${encodeURIComponent(projectId)}/`);
  if (result.ok) applyState(result.body);
}

function uploadFile(file) {
  const row = document.createElement("li");
  row.className = "upload-progress__item";
  row.innerHTML = `<span class="small">${escapeHtml(file.name)}</span> <progress max="100" value="0" aria-label="Uploading ${escapeHtml(file.name)}"></progress> <span class="small upload-progress__note" role="status"></span>`;
  $("upload-progress").append(row);
  const bar = row.querySelector("progress");
  const note = row.querySelector(".upload-progress__note");
  if (file.size > data.upload_max_bytes) {
    note.textContent = `${file.name} was not uploaded: it is larger than ${$("upload-max").textContent}.`;
    row.classList.add("is-failed");
    return;
  }
  const form = new FormData();
  form.append("file", file);
  form.append("project_id", projectId);
  const request = new XMLHttpRequest();
  request.open("POST", app.dataset.videoUploads);
  request.setRequestHeader("X-CSRFToken", app.dataset.csrf);
  request.setRequestHeader("Accept", "application/json");
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
  });
  request.addEventListener("load", () => {
    let body = null;
    try {
      body = JSON.parse(request.responseText);
    } catch {}
    if (request.status === 201) {
      bar.value = 100;
      note.textContent = "Uploaded.";
      setTimeout(() => row.remove(), 4000);
      refreshState();
    } else {
      row.classList.add("is-failed");
      note.textContent = `${file.name} was refused. ${problemText({ status: request.status, body })}`;
    }
  });
  request.addEventListener("error", () => {
    row.classList.add("is-failed");
    note.textContent = `${file.name} was not uploaded: the server could not be reached.`;
  });
  note.textContent = "Uploading…";
  request.send(form);
}

$("upload-max").textContent = `${Math.round(data.upload_max_bytes / 1_000_000)} MB`;
$("upload-input").addEventListener("change", (event) => {
  [...event.target.files].forEach(uploadFile);
  event.target.value = "";
});

let dragDepth = 0;
const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
document.addEventListener("dragenter", (event) => {
  if (!hasFiles(event)) return;
  dragDepth += 1;
  $("drop-overlay").hidden = false;
});
document.addEventListener("dragleave", (event) => {
  if (!hasFiles(event)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) $("drop-overlay").hidden = true;
});
document.addEventListener("dragover", (event) => {
  if (hasFiles(event)) event.preventDefault();
});
document.addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  $("drop-overlay").hidden = true;
  [...event.dataTransfer.files].forEach(uploadFile);
});

$("upload-list").addEventListener("click", async (event) => {
  const button = event.target.closest("[data-upload-action]");
  if (!button) return;
  const id = button.closest(".upload-item").dataset.id;
  const uploads = state.video_uploads;
  const index = uploads.findIndex((u) => u.id === id);
  if (button.dataset.uploadAction === "delete") {
    if (!window.confirm(`Delete upload ${index + 1}? The stored video goes with it.`)) return;
    const result = await api.call("DELETE", `${app.dataset.videoUploads}${id}/`);
    if (!result.ok) return alertProblem(`The upload was not deleted. ${problemText(result)}`);
    announce(`Upload ${index + 1} deleted.`);
    return refreshState();
  }
  const to = index + (button.dataset.uploadAction === "earlier" ? -1 : 1);
  const ids = uploads.map((u) => u.id);
  ids.splice(to, 0, ids.splice(index, 1)[0]);
  const result = await api.call("POST", `${app.dataset.videoUploads}reorder/`, { project_id: projectId, ids });
  if (!result.ok) return alertProblem(`The uploads' order was not saved. ${problemText(result)}`);
  await refreshState();
  announce(`Upload moved to position ${to + 1}.`);
  document.querySelector(`.upload-item[data-id="${id}"] [data-upload-action="${button.dataset.uploadAction}"]:not([disabled])`)?.focus();
});

// --- Wiring ------------------------------------------------------------------------------------

$("scene-list").addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  const id = button.closest(".scene-card").dataset.id;
  switch (button.dataset.action) {
    case "earlier":
      return move(id, -1, "earlier");
    case "later":
      return move(id, 1, "later");
    case "generate":
      return generate(id);
    case "edit":
      editing = id;
      renderCard(id);
      return cardOf(id)?.querySelector("textarea")?.focus();
    case "cancel-edit":
      editing = null;
      renderCard(id);
      return cardOf(id)?.querySelector("[data-action=edit]")?.focus();
    case "add-after":
      return addScene(id);
    case "delete":
      return askDelete(id);
  }
});

$("scene-list").addEventListener("submit", (event) => {
  event.preventDefault();
  saveEdit(event.target);
});

$("scene-list").addEventListener("keydown", (event) => {
  if (event.key === "Escape" && event.target.closest(".scene-card__form")) {
    event.target.closest(".scene-card__form").querySelector("[data-action=cancel-edit]").click();
  }
});

$("add-scene").addEventListener("click", () => addScene(null));
$("zoom-in").addEventListener("click", () => setZoom(zoom + 1));
$("zoom-out").addEventListener("click", () => setZoom(zoom - 1));

function setZoom(level) {
  zoom = Math.min(ZOOMS.length - 1, Math.max(0, level));
  $("zoom-in").disabled = zoom === ZOOMS.length - 1;
  $("zoom-out").disabled = zoom === 0;
  scenes.forEach((scene) => cardOf(scene.id)?.style.setProperty("--card-width", `${cardWidth(scene)}px`));
  renderRuler();
}

document.querySelectorAll("[data-close-dialog]").forEach((button) => button.addEventListener("click", () => button.closest("dialog").close()));

render();
renderExport();
renderUploads();
setZoom(zoom);
if (busy()) schedulePoll();
app.dataset.ready = "true";
performance.mark("timeline-rendered");
