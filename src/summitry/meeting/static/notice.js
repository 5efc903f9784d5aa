// Messages in the page, where the browser's own dialogs used to be: they stop the meeting
// (a modal alert freezes the page and hides the room) and cannot be styled or read calmly.
// A notice says what happened and what to do, stays until dismissed, and is announced.

import { sentence } from "/static/sentence.js";

const KEEP = 3; // the newest few: older ones are gone once the situation has moved on

// A box present from the start, so that a screen reader already watches it when words come.
function standing(id, className, attributes) {
  let box = document.getElementById(id);
  if (!box) {
    box = document.createElement("div");
    box.id = id;
    box.className = className;
    for (const [name, value] of Object.entries(attributes)) box.setAttribute(name, value);
    document.body.append(box);
  }
  return box;
}

const region = () => standing("notices", "page-notices", { role: "group", "aria-label": "Messages" });
region();

// The page's one polite live region, present from the start and never rebuilt: floor given,
// muted by the secretariat, lobby arrivals, channel changes. The text is cleared first, so
// that the same words said twice are announced twice.
const announcer = () => standing("announcer", "visually-hidden", { "aria-live": "polite" });
announcer();

export function announce(text) {
  const box = announcer();
  box.textContent = "";
  setTimeout(() => { box.textContent = text; }, 50);
}

// Shows `text`; kind "error" is announced at once (role=alert), "info" through the polite
// region (a status element added to the page is not reliably read).
export function notify(text, kind = "error") {
  const box = region();
  const notice = document.createElement("div");
  notice.className = `page-notice page-notice-${kind}`;
  if (kind === "error") notice.setAttribute("role", "alert");
  else announce(sentence(text));
  const line = document.createElement("p");
  line.textContent = sentence(text);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "button small secondary";
  close.textContent = "Dismiss";
  close.setAttribute("aria-label", "Dismiss this message");
  close.addEventListener("click", () => notice.remove());
  notice.append(line, close);
  box.append(notice);
  while (box.children.length > KEEP) box.firstElementChild.remove();
  return notice;
}

// For a refused request: the server's own message, which says why and what to do instead.
export function refused(error) {
  notify(error?.message, "error");
}
