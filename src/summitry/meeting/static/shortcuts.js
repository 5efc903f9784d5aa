// Keyboard shortcuts with a modifier (as in the conference tools people know: Alt+A for the
// microphone), and their list on "?". Keys are read by their position (event.code), so that
// Alt on a Mac keyboard, which types special letters, still works.

const KEYS = [
  ["KeyA", "Alt+A", "Open or close your microphone", "toggle-mic"],
  ["KeyV", "Alt+V", "Turn your camera on or off", "toggle-camera"],
  ["KeyR", "Alt+R", "Request the floor, or withdraw your request", "request-floor"],
  ["KeyL", "Alt+L", "Choose the channel you hear", "channel-choice"],
  ["KeyF", "Alt+F", "The floor and the speakers' list", "panel-floor"],
  ["KeyC", "Alt+C", "The chair's controls", "panel-chair"],
  ["KeyP", "Alt+P", "The people in the room", "panel-people"],
  ["KeyY", "Alt+Y", "The lobby", "panel-lobby"],
];

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function initShortcuts({ openPanel, inRoom }) {
  const dialog = document.getElementById("shortcuts-dialog");
  const available = KEYS.filter(([, , , id]) => document.getElementById(id));
  const list = document.getElementById("shortcut-list");
  for (const [, keys, what] of [...available, [null, "?", "This list of shortcuts"]]) {
    const dt = document.createElement("dt");
    for (const [i, part] of keys.split("+").entries()) {
      if (i) dt.append("+");
      const kbd = document.createElement("kbd");
      kbd.textContent = part;
      dt.append(kbd);
    }
    const dd = document.createElement("dd");
    dd.textContent = what;
    list.append(dt, dd);
  }
  let before = null;
  const show = () => {
    before = document.activeElement;
    dialog.showModal();
  };
  dialog.addEventListener("close", () => before?.focus?.());
  document.getElementById("shortcuts-close").addEventListener("click", () => dialog.close());
  document.getElementById("show-shortcuts").addEventListener("click", show);

  document.addEventListener("keydown", (event) => {
    if (!inRoom() || event.defaultPrevented) return;
    if (event.key === "?" && !event.altKey && !event.ctrlKey && !event.metaKey && !typing(event.target)) {
      if (!dialog.open) show();
      event.preventDefault();
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const found = available.find(([code]) => code === event.code);
    if (!found) return;
    event.preventDefault();
    const target = document.getElementById(found[3]);
    if (target.classList.contains("panel")) openPanel(found[3]);
    else if (target.tagName === "SELECT") target.focus();
    else target.click();
  });
}
