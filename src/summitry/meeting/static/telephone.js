// The secretariat's telephone panel on the meeting page: call out to someone absent (the
// address asked in the row's own form), or issue their PIN (shown once). The API refuses what
// is not possible (no gateway, someone already in the meeting), and the refusal is shown.

import { notify, refused } from "./notice.js";

export function renderTelephone({ page, call, engagementId, personRow }) {
  const list = document.getElementById("telephone-list");
  if (!list) return;
  const telephone = `/api/v1/engagements/${engagementId}/telephone`;
  const absent = [...page.roster.values()].filter((p) =>
    !["lobby", "admitted"].includes(page.state.presenceOf(p.attendee_id))
    && p.role !== "press" && p.role !== "secretariat");
  list.replaceChildren(...absent.map((p) => personRow(p, [
    ["Call…", async (row) => askForAddress(row, p, (uri) => call(`${telephone}/calls`, { attendee_id: p.attendee_id, uri }))],
    ["PIN", async () => {
      const issued = await call(`${telephone}/pins/${p.attendee_id}`);
      const line = await call(`${telephone}/line`);
      notify(`Dial-in number ${line.number}, PIN for ${p.name}: ${issued.pin}. `
        + "Shown once: pass it on through a channel you trust.", "info");
    }],
  ])));
}

// The address to call, asked in the row itself; the form goes once the call is placed.
function askForAddress(row, person, place) {
  if (row.querySelector(".call-form")) return row.querySelector("input").focus();
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
    place(input.value.trim()).then(() => form.remove()).catch(refused);
  });
  form.append(field, submit, cancel);
  row.append(form);
  input.focus();
}
