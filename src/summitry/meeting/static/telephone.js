// The secretariat's telephone panel on the meeting page: call out to someone absent (the
// address asked in the row's own form, with its own error line), or issue their PIN (which
// replaces the old one, so it is confirmed first). The PIN and the dial-in number are shown
// masked, with Show and Copy: a screenshot of the room must not leak them.

import { confirmAction } from "/static/confirm.js";
import { sentence } from "/static/sentence.js";

export function renderTelephone({ page, call, engagementId, personRow }) {
  const list = document.getElementById("telephone-list");
  if (!list) return;
  const telephone = `/api/v1/engagements/${engagementId}/telephone`;
  const absent = [...page.roster.values()].filter((p) =>
    !["lobby", "admitted"].includes(page.state.presenceOf(p.attendee_id))
    && p.role !== "press" && p.role !== "secretariat");
  list.replaceChildren(...absent.map((p) => personRow(p, [
    ["Call…", (row) => askForAddress(row, p, (uri) => call(`${telephone}/calls`, { attendee_id: p.attendee_id, uri }))],
    ["New PIN…", (row, button) => confirmAction({
      title: `Issue a new telephone PIN for ${p.name}?`,
      text: `Any PIN ${p.name} was given before stops working. The new one is shown here, masked, to pass on through a channel you trust.`,
      yes: "Issue a new PIN",
      returnTo: button,
      fallback: document.getElementById("telephone-title"),
      act: async () => {
        const line = await call(`${telephone}/line`);
        const issued = await call(`${telephone}/pins/${p.attendee_id}`);
        showSecrets(row, p, [["Dial-in number", line.number], ["PIN", issued.pin]]);
      },
    })],
  ])));
}

// Each secret masked, with Show and Copy: the same field and buttons as an invitation link,
// driven by /static/summitry.js (data-reveal, data-copy).
function showSecrets(row, person, secrets) {
  row.querySelector(".secrets")?.remove();
  const box = document.createElement("ul");
  box.className = "secrets";
  for (const [label, value] of secrets) {
    const id = `secret-${person.attendee_id}-${label.replace(/\W+/g, "-").toLowerCase()}`;
    const whose = `the ${label.toLowerCase()}`;
    const line = document.createElement("li");
    line.className = "secret";
    const name = document.createElement("label");
    name.htmlFor = id;
    name.textContent = `${label} for ${person.name}`;
    const field = Object.assign(document.createElement("input"), { id, type: "password", readOnly: true, value });
    field.dataset.secret = "";
    line.append(name, field, button("Show", whose, { reveal: id }), button("Copy", whose, { copy: id }));
    box.append(line);
  }
  row.append(box);
}

function button(words, whose, data) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button small secondary";
  b.textContent = words;
  b.setAttribute("aria-label", `${words}: ${whose}`);
  Object.assign(b.dataset, data, { for: whose });
  return b;
}

// The address to call, asked in the row itself; the form goes once the call is placed, and a
// refusal stays beside the field with what was typed.
function askForAddress(row, person, place) {
  if (row.querySelector(".call-form")) return row.querySelector(".call-form input").focus();
  const form = document.createElement("form");
  form.className = "call-form";
  const field = document.createElement("div");
  field.className = "field";
  const label = document.createElement("label");
  label.textContent = `SIP address to call ${person.name}`;
  const input = document.createElement("input");
  input.required = true;
  input.placeholder = "sip:number@trunk";
  input.id = `call-uri-${person.attendee_id}`;
  label.htmlFor = input.id;
  const error = document.createElement("p");
  error.className = "form-error";
  error.id = `call-error-${person.attendee_id}`;
  error.setAttribute("role", "alert");
  error.hidden = true;
  input.setAttribute("aria-describedby", error.id);
  field.append(label, input);
  const submit = document.createElement("button");
  submit.className = "button small";
  submit.textContent = "Call";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "button small secondary";
  cancel.textContent = "Cancel";
  cancel.addEventListener("click", () => form.remove());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.hidden = true;
    place(input.value.trim()).then(() => form.remove()).catch((e) => {
      error.textContent = sentence(e?.message);
      error.hidden = false;
    });
  });
  form.append(field, submit, cancel, error);
  row.append(form);
  input.focus();
}
