// The screenplay list: create, import and delete through the API, then land in the editor or reload;
// rename in a dialog whose form posts to the page; dates in the browser's own locale and time zone.
const app = document.getElementById("screenplay-list-app");
const message = document.getElementById("list-message");
const headers = { "X-CSRFToken": app.dataset.csrf, Accept: "application/json" };

function say(text) {
  message.textContent = text;
  message.hidden = !text;
}

async function problem(response) {
  try {
    const body = await response.json();
    return body.detail || Object.entries(body).map(([field, errors]) => (field === "file" || field === "title" ? "" : `${field}: `) + [errors].flat().join(" ")).join(" ");
  } catch {
    return `The server answered ${response.status}.`;
  }
}

async function send(form, request, failure) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  say("");
  try {
    const response = await fetch(request.url, { credentials: "same-origin", ...request.init });
    if (response.status === 201 || response.ok) {
      const row = await response.json();
      window.location.href = `${app.dataset.editor}${row.id}/`;
      return;
    }
    say(`${failure} ${await problem(response)}`);
  } catch {
    say(`${failure} The server could not be reached.`);
  }
  button.disabled = false;
}

document.getElementById("new-screenplay").addEventListener("submit", (event) => {
  event.preventDefault();
  const title = event.target.elements.title.value.trim() || "Untitled screenplay";
  send(event.target, { url: app.dataset.api, init: { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify({ title, content: "" }) } }, "The screenplay was not created.");
});

document.getElementById("import-screenplay").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = event.target.elements.file.files[0];
  if (!file) {
    say("Choose a .fountain, .txt or .fdx file to import.");
    return;
  }
  const body = new FormData();
  body.append("file", file);
  send(event.target, { url: app.dataset.import, init: { method: "POST", headers, body } }, `“${file.name}” was not imported.`);
});

const dialog = document.getElementById("delete-dialog");
let deleting = null;
for (const button of document.querySelectorAll("[data-delete]")) {
  button.addEventListener("click", () => {
    deleting = button;
    document.getElementById("delete-name").textContent = button.dataset.title;
    document.getElementById("delete-message").textContent = "";
    dialog.showModal();
    document.getElementById("delete-confirm").focus();
  });
}
document.getElementById("delete-confirm").addEventListener("click", async () => {
  const response = await fetch(deleting.dataset.delete, { method: "DELETE", headers, credentials: "same-origin" }).catch(() => null);
  if (response && (response.status === 204 || response.status === 404)) window.location.reload();
  else document.getElementById("delete-message").textContent = response ? await problem(response) : "The server could not be reached.";
});
const renameDialog = document.getElementById("rename-dialog");
let renaming = null;
for (const button of document.querySelectorAll("[data-rename]")) {
  button.addEventListener("click", () => {
    renaming = button;
    document.getElementById("rename-form").action = button.dataset.rename;
    document.getElementById("rename-name").textContent = button.dataset.title;
    document.getElementById("rename-version").value = button.dataset.version;
    const title = document.getElementById("rename-title");
    title.value = button.dataset.title;
    renameDialog.showModal();
    title.select();
  });
}
renameDialog.addEventListener("close", () => renaming?.focus());

const localDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
for (const time of document.querySelectorAll("time[data-local-date]")) time.textContent = localDate.format(new Date(time.dateTime));

for (const button of document.querySelectorAll("[data-close-dialog]")) button.addEventListener("click", () => button.closest("dialog").close());
dialog.addEventListener("close", () => deleting?.focus());
