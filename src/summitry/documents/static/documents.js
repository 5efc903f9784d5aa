// Outcome documents: forms sent to the API as JSON, and the page's live parts rendered again
// whenever the engagement's feed carries an event of this document, so that an amendment, a
// ballot or a signature appears on every screen within a moment of being made.

import { LiveSocket } from "/static/meeting/socket.js";
import { request } from "/static/meeting/page.js";

const root = document.getElementById("documents");
const engagementId = Number(root.dataset.engagement);
const documentId = root.dataset.document ? Number(root.dataset.document) : null;
const api = root.dataset.api;
window.summitryDocuments = { refreshed: 0, events: [] }; // read by the browser tests

// --- forms -------------------------------------------------------------------------------------

function bodyOf(form) {
  const body = {};
  const kind = form.querySelector('input[name="kind"]:checked')?.value;
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if ((field.type === "radio") && !field.checked) continue;
    if (field.dataset.unless && field.dataset.unless === kind) continue;
    let value = field.type === "checkbox" ? field.checked : field.value;
    if (field.dataset.type === "int") value = value === "" ? null : Number.parseInt(value, 10);
    if (field.dataset.type === "float") value = value === "" ? null : Number(value);
    if (value === null) continue;
    const [name, key] = field.name.split(".");
    if (key) {
      if (String(value).trim()) (body[name] ??= {})[key] = value;
    } else {
      body[name] = value;
    }
  }
  return body;
}

function showError(form, message) {
  const line = form.querySelector(".form-error");
  if (!line) return;
  line.textContent = message;
  line.hidden = !message;
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
  event.preventDefault();
  if (form.dataset.confirm && form.dataset.confirmed !== "yes") return; // confirm.js asks first
  delete form.dataset.confirmed;
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  showError(form, "");
  try {
    const answer = await request(form.dataset.api, bodyOf(form));
    if (form.dataset.then === "open") {
      location.assign(`/engagements/${engagementId}/documents/${answer.id}`);
      return;
    }
    if (form.dataset.then === "procedure") {
      location.assign(`/engagements/${engagementId}/documents/${documentId}/procedures/${answer.id}`);
      return;
    }
    form.reset?.();
    await refresh();
  } catch (error) {
    showError(form, error.message);
    // A PIN the service refused is typed again, not sent again.
    for (const field of form.querySelectorAll("input[data-secret-once]")) field.value = "";
  } finally {
    if (button) button.disabled = false;
  }
});

// --- the text: shown on the screens, edited as agreed, amendments decided ------------------------

async function act(button, path, body) {
  button.disabled = true;
  try {
    await request(`${api}${path}`, body);
    await refresh();
  } catch (error) {
    notify(button, error.message);
  } finally {
    button.disabled = false;
  }
}

function notify(near, message) {
  const line = document.createElement("p");
  line.className = "form-error";
  line.setAttribute("role", "alert");
  line.textContent = message;
  near.closest("li, section, form")?.append(line);
  setTimeout(() => line.remove(), 8000);
}

function editor(item, number, original, decide) {
  const box = document.createElement("div");
  box.dataset.editing = "yes";
  const area = Object.assign(document.createElement("textarea"), { value: original });
  area.setAttribute("aria-label", decide ? "Merged wording" : `Paragraph ${number}`);
  const save = Object.assign(document.createElement("button"), {
    type: "button", className: "button small", textContent: decide ? "Merge with this wording" : "Save as a new version",
  });
  const cancel = Object.assign(document.createElement("button"), {
    type: "button", className: "button secondary small", textContent: "Cancel",
  });
  const row = Object.assign(document.createElement("div"), { className: "button-row" });
  row.append(save, cancel);
  box.append(area, row);
  item.append(box);
  area.focus();
  cancel.addEventListener("click", () => { box.remove(); refresh(); });
  save.addEventListener("click", async () => {
    const body = decide
      ? { decision: "merged", text: area.value }
      : { language: root.dataset.language, paragraph: number, action: "replace", text: area.value };
    save.disabled = true;
    try {
      await request(`${api}${decide ? `/amendments/${decide}/decision` : "/versions"}`, body);
      box.remove();
      await refresh();
    } catch (error) {
      notify(save, error.message); // beside the wording, which stays as typed
    } finally {
      save.disabled = false;
    }
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button || !api) return;
  if (button.dataset.show !== undefined) {
    const paragraph = button.dataset.show ? Number(button.dataset.show) : null;
    act(button, "/screen", { paragraph });
  } else if (button.dataset.edit) {
    const item = button.closest("li");
    editor(item, Number(button.dataset.edit), item.querySelector(".para-words").textContent.trim());
  } else if (button.dataset.decide) {
    if (button.dataset.decision === "merged") {
      const item = button.closest("li");
      editor(item, null, item.querySelector("blockquote")?.textContent.trim() ?? "", button.dataset.decide);
    } else {
      act(button, `/amendments/${button.dataset.decide}/decision`, { decision: button.dataset.decision });
    }
  }
});

async function markScreen() {
  if (!documentId) return;
  const shown = await request(`/api/v1/engagements/${engagementId}/documents/screen`, null, "GET").catch(() => null);
  for (const item of document.querySelectorAll("[data-text] > li")) {
    item.classList.toggle("on-screen", shown?.document_id === documentId && Number(item.dataset.paragraph) === shown.paragraph);
  }
}

// --- live --------------------------------------------------------------------------------------

let refreshing = null;
let again = false;

// The page's live parts from a fresh rendering of the page; a part someone is editing, or
// typing in, is left as it is. Asked while one runs, it runs once more after it.
async function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live]")) {
        if (part.querySelector("[data-editing]")) continue;
        const typing = document.activeElement;
        if (part.contains(typing) && typing.matches("textarea, input[type=text]") && typing.value) continue;
        const next = fresh.querySelector(`[data-live="${part.dataset.live}"]`);
        if (next) part.replaceWith(next);
      }
      const head = fresh.querySelector(".page-head");
      if (head) document.querySelector(".page-head")?.replaceWith(head);
      await markScreen();
      window.summitryDocuments.refreshed += 1;
    } finally {
      refreshing = null;
      if (again) {
        again = false;
        refresh();
      }
    }
  })();
  return refreshing;
}

function arrived(party) {
  const card = document.querySelector(`[data-party="${party}"]`);
  card?.classList.add("arrived");
}

const socket = new LiveSocket(engagementId);
socket.addEventListener("event", async ({ detail }) => {
  const event = detail.event;
  if (event.document_id === undefined || event.kind === "document_action_refused") return;
  if (documentId !== null && event.document_id !== documentId && !event.kind.startsWith("text_")) return;
  window.summitryDocuments.events.push(event.kind);
  if (event.kind === "text_shown" || event.kind === "text_hidden") {
    await markScreen();
    return;
  }
  await refresh();
  if (event.kind === "document_signed") arrived(event.delegation);
});
socket.connect();
markScreen();
