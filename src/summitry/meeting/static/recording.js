// Whether the meeting is recorded, for everyone to see: the mark in the header, a line before
// joining, the recorder among the people in the room; and the secretariat's switch. Until the
// secretariat decides, an engagement that is not confidential is recorded
// (records/recording_state.py); nothing is recorded once the meeting has ended.

import { announce, refused } from "./notice.js";

export function isRecorded(page, byDefault) {
  return Boolean(page.state && !page.state.ended && (page.state.recording.on ?? byDefault));
}

// The recorder's row in "In the room": it is there, as a participant is, while it records.
export function recorderRow() {
  const li = document.createElement("li");
  li.className = "recorder";
  li.dataset.recorder = "";
  const who = document.createElement("div");
  who.className = "who";
  const name = document.createElement("strong");
  name.textContent = "Recorder";
  const what = document.createElement("span");
  what.className = "muted small";
  what.textContent = "Records the floor and every language channel";
  who.append(name, what);
  li.append(who);
  return li;
}

export function initRecording({ page, call, engagementId, byDefault }) {
  const mark = document.querySelector('[data-mark="recording"]');
  const note = document.getElementById("recording-note");
  const button = document.getElementById("toggle-recording");
  button?.addEventListener("click", () => {
    const on = !isRecorded(page, byDefault);
    call(`/api/v1/engagements/${engagementId}/recording`, { on }, "PUT")
      .then(() => announce(on ? "The meeting is being recorded." : "Recording has stopped."))
      .catch(refused);
  });
  return function render() {
    const on = isRecorded(page, byDefault);
    mark.textContent = on ? "Recorded" : "Not recorded";
    mark.classList.toggle("mark-recorded", on);
    if (note) note.hidden = !on;
    if (button) {
      button.textContent = on ? "Stop recording" : "Record";
      button.setAttribute("aria-pressed", String(on));
    }
  };
}
