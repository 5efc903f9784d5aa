// What cannot be taken back (withdraw, remove, cut, turn away, a new PIN, ending the meeting)
// asks first, in a <dialog> that names who is affected: `confirm()` would be a browser box in
// lower case, and our policy keeps every word in the page. The safe choice has focus, the
// server's refusal is shown inside the dialog, and focus returns where the person was, or to
// a steady place if that is gone (after a removal the list reflows under the pointer).
//
// Pages' scripts call confirmAction(). A server-rendered form opts in with
// data-confirm="What happens, to whom" and optionally data-confirm-title ("Withdraw France?")
// and data-confirm-action (the words of the button that goes ahead); without scripts it
// simply submits, as it always did.

import { sentence } from "./sentence.js";

let dialog = null;
let pending = null;

function part(tag, props) {
  return Object.assign(document.createElement(tag), props);
}

function build() {
  const box = part("dialog", { className: "confirm", id: "confirm-dialog" });
  box.setAttribute("aria-labelledby", "confirm-title");
  box.setAttribute("aria-describedby", "confirm-text");
  const error = part("p", { className: "form-error", id: "confirm-error", hidden: true });
  error.setAttribute("role", "alert");
  const yes = part("button", { className: "button danger", id: "confirm-yes", type: "button" });
  const no = part("button", { className: "button secondary", id: "confirm-no", type: "button" });
  // The acting button first and Cancel focused: Enter or a stray click keeps things as they are.
  const row = part("div", { className: "button-row" });
  row.append(yes, no);
  box.append(part("h2", { id: "confirm-title" }), part("p", { id: "confirm-text" }), error, row);
  document.body.append(box);
  box.addEventListener("close", settle);
  no.addEventListener("click", () => box.close());
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await pending.act();
      box.close();
    } catch (err) {
      error.textContent = sentence(err?.message);
      error.hidden = false;
    } finally {
      yes.disabled = false;
    }
  });
  return box;
}

function settle() {
  const { returnTo, fallback } = pending ?? {};
  pending = null;
  const target = returnTo?.isConnected && returnTo.offsetParent !== null ? returnTo : fallback;
  target?.focus?.();
}

// title: the question; text: what follows; yes: the acting button's words; no: the safe
// button's words (Cancel); act: the request, whose refusal is shown in the dialog; returnTo:
// the button that asked; fallback: where focus goes if that button is gone.
export function confirmAction({ title, text, yes, no = "Cancel", act, returnTo, fallback }) {
  dialog ??= build();
  pending = { act, returnTo, fallback };
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-text").textContent = text;
  dialog.querySelector("#confirm-yes").textContent = yes;
  dialog.querySelector("#confirm-no").textContent = no;
  dialog.querySelector("#confirm-error").hidden = true;
  dialog.showModal();
  dialog.querySelector("#confirm-no").focus();
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (form.dataset.confirmed === "yes") return;
  event.preventDefault();
  const submitter = event.submitter;
  const label = submitter?.textContent.trim() || "Go ahead";
  confirmAction({
    title: form.dataset.confirmTitle || `${label}?`,
    text: form.dataset.confirm,
    yes: form.dataset.confirmAction || label,
    act: () => {
      form.dataset.confirmed = "yes";
      form.requestSubmit(submitter ?? undefined);
    },
    returnTo: submitter,
  });
});
