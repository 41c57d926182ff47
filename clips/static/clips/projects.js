// The projects page: create a project from a first scene or from a screenplay's scenes, then open its timeline.
import { apiClient, problemText } from "./api.js";

const app = document.getElementById("projects-app");
const api = apiClient(app.dataset.csrf);
const message = document.getElementById("projects-message");

function showProblem(text) {
  message.textContent = text;
  message.hidden = false;
}

function busy(form, on) {
  form.querySelectorAll("button, input, select").forEach((control) => (control.disabled = on));
}

document.getElementById("new-project").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const projectId = crypto.randomUUID();
  busy(form, true);
  const result = await api.call("POST", app.dataset.sceneDrafts, {
    project_id: projectId,
    order_index: 0,
    prompt_text: form.elements.prompt_text.value.trim(),
    duration: Number(form.elements.duration.value),
  });
  busy(form, false);
  if (!result.ok) return showProblem(`The project was not created. ${problemText(result)}`);
  window.location.assign(`/projects/${projectId}/`);
});

const fromScreenplay = document.getElementById("from-screenplay");
fromScreenplay.addEventListener("submit", async (event) => {
  event.preventDefault();
  const screenplay = fromScreenplay.elements.screenplay?.value;
  if (!screenplay) return;
  busy(fromScreenplay, true);
  const result = await api.call("POST", `${app.dataset.screenplays}${screenplay}/scene_drafts/`, {
    mode: "create",
    default_duration: Number(fromScreenplay.elements.duration.value),
  });
  busy(fromScreenplay, false);
  // A screenplay whose scenes already are a project opens that project.
  if (result.ok || result.body?.code === "scene_drafts_exist") return window.location.assign(`/projects/${screenplay}/`);
  showProblem(`No scene drafts were created. ${problemText(result)}`);
});
