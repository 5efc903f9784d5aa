// A destructive form asks first, in a <dialog> that names who is affected; `confirm()` would
// be a browser box in lower case, and our policy keeps every word in the page.
//
// Mark a form with data-confirm="What happens, to whom" and optionally data-confirm-title
// ("Withdraw France?") and data-confirm-action (the label of the button that goes ahead).
// Without scripts the form simply submits, as it always did.

let dialog = null;

function build() {
  const box = document.createElement("dialog");
  box.className = "confirm";
  box.setAttribute("aria-labelledby", "confirm-title");
  box.setAttribute("aria-describedby", "confirm-message");
  const title = document.createElement("h2");
  title.id = "confirm-title";
  const message = document.createElement("p");
  message.id = "confirm-message";
  const row = document.createElement("div");
  row.className = "button-row";
  const go = document.createElement("button");
  go.type = "button";
  go.className = "button danger";
  go.dataset.confirmGo = "";
  const keep = document.createElement("button");
  keep.type = "button";
  keep.className = "button secondary";
  keep.textContent = "Cancel";
  keep.addEventListener("click", () => box.close("cancel"));
  // Cancel first in the reading order and focused: Enter or a stray click keeps things as they are.
  row.append(keep, go);
  box.append(title, message, row);
  document.body.append(box);
  return box;
}

function ask(form, submitter) {
  dialog ??= build();
  const label = submitter?.textContent.trim() || "Go ahead";
  dialog.querySelector("#confirm-title").textContent = form.dataset.confirmTitle || `${label}?`;
  dialog.querySelector("#confirm-message").textContent = form.dataset.confirm;
  const go = dialog.querySelector("[data-confirm-go]");
  go.textContent = form.dataset.confirmAction || label;
  go.onclick = () => {
    form.dataset.confirmed = "yes";
    dialog.close("go");
    form.requestSubmit(submitter ?? undefined);
  };
  dialog.onclose = () => {
    if (dialog.returnValue !== "go") submitter?.focus();
  };
  dialog.returnValue = "";
  dialog.showModal();
  dialog.querySelector(".button.secondary").focus();
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (form.dataset.confirmed === "yes") return;
  event.preventDefault();
  ask(form, event.submitter);
});
