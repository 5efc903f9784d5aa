// Small enhancements; every page works without them.

// A button's words change ("Show" becomes "Hide"); where several sit on one page, each also
// names whose secret it acts on (data-for), and its accessible name keeps its visible words.
function say(button, words) {
  button.textContent = words;
  if (button.dataset.for) button.setAttribute("aria-label", `${words}: ${button.dataset.for}`);
}

document.addEventListener("click", async (event) => {
  const target = event.target.closest("button");
  if (!target) return;

  const reveal = target.dataset.reveal;
  if (reveal) {
    const field = document.getElementById(reveal);
    const hidden = field.type === "password";
    field.type = hidden ? "text" : "password";
    say(target, hidden ? "Hide" : "Show");
    target.setAttribute("aria-pressed", String(hidden));
  }

  const copy = target.dataset.copy;
  if (copy) {
    const field = document.getElementById(copy);
    try {
      await navigator.clipboard.writeText(field.value);
      say(target, "Copied");
    } catch {
      field.type = "text";
      field.select();
      say(target, "Press Ctrl+C to copy");
    }
  }

  const rows = target.dataset.addRow;
  if (rows) {
    const list = document.getElementById(rows);
    const last = list.lastElementChild;
    const next = last.cloneNode(true);
    const n = list.children.length + 1;
    const input = next.querySelector("input");
    const label = next.querySelector("label");
    input.value = "";
    input.id = `delegation-${n}`;
    label.htmlFor = input.id;
    label.textContent = `Delegation ${n}`;
    list.appendChild(next);
    input.focus();
  }
});
