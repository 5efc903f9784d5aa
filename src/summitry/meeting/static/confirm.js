// Confirmations for what cannot be taken back (remove, turn away, cut, a new PIN): a dialog
// naming who is affected, the safe choice focused, the server's refusal shown inside it, and
// the focus returned afterwards where the person was, or to a steady place if that is gone.

import { sentence } from "./notice.js";

const dialog = document.getElementById("confirm-dialog");
let pending = null;

function settle() {
  const { returnTo, fallback } = pending ?? {};
  pending = null;
  const target = returnTo?.isConnected && returnTo.offsetParent !== null ? returnTo : fallback;
  target?.focus?.();
}

if (dialog) {
  dialog.addEventListener("close", settle);
  document.getElementById("confirm-no").addEventListener("click", () => dialog.close());
  document.getElementById("confirm-yes").addEventListener("click", async () => {
    const error = document.getElementById("confirm-error");
    const yes = document.getElementById("confirm-yes");
    yes.disabled = true;
    try {
      await pending.act();
      dialog.close();
    } catch (err) {
      error.textContent = sentence(err?.message);
      error.hidden = false;
    } finally {
      yes.disabled = false;
    }
  });
}

// title: the question; text: what follows; yes: the acting button's words; act: the request;
// returnTo: the button that asked; fallback: where focus goes if that button is gone.
export function confirmAction({ title, text, yes, act, returnTo, fallback }) {
  if (!dialog) return;
  pending = { act, returnTo, fallback };
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-yes").textContent = yes;
  document.getElementById("confirm-error").hidden = true;
  dialog.showModal();
  document.getElementById("confirm-no").focus();
}
