// Messages in the page, where the browser's own dialogs used to be: they stop the meeting
// (a modal alert freezes the page and hides the room) and cannot be styled or read calmly.
// A notice says what happened and what to do, stays until dismissed, and is announced.

const KEEP = 3; // the newest few: older ones are gone once the situation has moved on

function region() {
  let box = document.getElementById("notices");
  if (!box) {
    // Present from the start, so that a screen reader already watches it when a notice comes.
    box = document.createElement("div");
    box.id = "notices";
    box.className = "page-notices";
    box.setAttribute("aria-label", "Messages");
    document.body.append(box);
  }
  return box;
}
region();

// The server's messages are clauses ("you do not have the floor: ask for it…"): shown as a
// sentence.
export function sentence(text) {
  const trimmed = String(text ?? "").trim();
  if (!trimmed) return "That did not work. Try again in a moment.";
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

// Shows `text`; kind "error" is announced at once (role=alert), "info" politely (role=status).
export function notify(text, kind = "error") {
  const box = region();
  const notice = document.createElement("div");
  notice.className = `page-notice page-notice-${kind}`;
  notice.setAttribute("role", kind === "error" ? "alert" : "status");
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
