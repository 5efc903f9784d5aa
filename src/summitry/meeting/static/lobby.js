// The secretariat's lists: the lobby (with a count, and a notice when someone arrives), the
// people in the room, the telephone, and the alarms. A row's destructive action (Remove, Turn
// away) is confirmed in a dialog naming the person; the lists are rebuilt only when who is
// listed changes, so that no button moves under the pointer while people talk.

import { announce, notify, refused } from "./notice.js";
import { confirmAction } from "/static/confirm.js";
import { renderTelephone } from "./telephone.js";
import { isRecorded, recorderRow } from "./recording.js";

const languageNames = new Intl.DisplayNames(["en"], { type: "language" });

export function initLists({ page, call, engagementId, isSecretariat, recordedByDefault }) {
  let seenWaiting = null; // the lobby at the previous drawing; null before the first
  let shownWaiting = []; // whom the lobby shows: "Admit everyone" lets in these, nobody unseen

  function personRow(person, actions) {
    const li = document.createElement("li");
    li.dataset.attendee = person.attendee_id;
    const who = document.createElement("div");
    who.className = "who";
    const name = document.createElement("strong");
    name.textContent = person.name;
    const office = document.createElement("span");
    office.className = "muted small";
    office.textContent = person.booth
      ? `Interpreter · ${languageNames.of(person.booth)} booth`
      : person.delegation.name;
    who.append(name, office);
    if (page.state.participants.get(person.attendee_id)?.channel === "telephone"
        && ["lobby", "admitted"].includes(page.state.presenceOf(person.attendee_id))) {
      const phone = document.createElement("span");
      phone.className = "muted small";
      phone.textContent = "☎ telephone, not encrypted";
      who.append(phone);
    }
    li.append(who);
    for (const [label, act] of actions) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small secondary";
      button.textContent = label;
      button.setAttribute("aria-label", `${label}: ${person.name}`);
      button.addEventListener("click", () => act(li, button)?.catch?.(refused));
      li.append(button);
    }
    return li;
  }

  // A destructive action, asked first; the focus comes back to the list's heading if the
  // row is gone.
  const confirmed = (what, heading) => (li, button) => {
    confirmAction({ ...what, returnTo: button, fallback: document.getElementById(heading) });
  };

  function presentActions(p) {
    if (!isSecretariat || p.attendee_id === page.me) return [];
    return [
      ["Mute", () => call(`/participants/${p.attendee_id}/microphone`, { muted: true })],
      ["Remove", confirmed({
        title: `Remove ${p.name}?`,
        text: `${p.name} (${p.delegation.name}) is put out of the meeting at once and cannot come back with the same link.`,
        yes: "Remove",
        act: () => call(`/participants/${p.attendee_id}/remove`),
      }, "present-title")],
    ];
  }

  function lobbyActions(p) {
    return [
      ["Admit", () => call(`/participants/${p.attendee_id}/admit`)],
      ["Turn away", confirmed({
        title: `Turn away ${p.name}?`,
        text: `${p.name} (${p.delegation.name}) is told that they were not admitted to this meeting.`,
        yes: "Turn away",
        act: () => call(`/participants/${p.attendee_id}/turn-away`),
      }, "lobby-panel-title")],
    ];
  }

  // A notice for each arrival, gone by itself once nobody it names is still waiting.
  let arrivalNotices = [];
  function arrivals(waiting) {
    const ids = new Set(waiting.map((p) => p.attendee_id));
    if (seenWaiting !== null) {
      const fresh = waiting.filter((p) => !seenWaiting.has(p.attendee_id));
      const text = fresh.length === 1
        ? `${fresh[0].name} (${fresh[0].delegation.name}) is waiting in the lobby.`
        : `${fresh.length} people are waiting in the lobby.`;
      if (fresh.length) arrivalNotices.push([notify(text, "info"), fresh.map((p) => p.attendee_id)]);
    }
    for (const [notice, who] of arrivalNotices) {
      if (!who.some((id) => ids.has(id))) notice.remove();
    }
    arrivalNotices = arrivalNotices.filter(([notice]) => notice.isConnected);
    seenWaiting = ids;
  }

  function counts(present, waiting) {
    for (const badge of document.querySelectorAll('[data-count="present"], #present-count')) {
      badge.textContent = String(present.length);
    }
    for (const badge of document.querySelectorAll('[data-count="lobby"], #lobby-count')) {
      badge.textContent = String(waiting.length);
      badge.classList.toggle("attention", waiting.length > 0);
    }
    const toggle = document.getElementById("lobby-toggle");
    toggle?.setAttribute("aria-label", `Lobby, ${waiting.length} waiting`);
  }

  function render(present) {
    const waiting = isSecretariat
      ? [...page.roster.values()].filter((p) => page.state.presenceOf(p.attendee_id) === "lobby")
      : [];
    if (isSecretariat) {
      const lockButton = document.getElementById("toggle-lock");
      lockButton.textContent = page.state.locked ? "Unlock the room" : "Lock the room";
      lockButton.setAttribute("aria-pressed", String(page.state.locked));
    }
    const recording = isRecorded(page, recordedByDefault);
    const signature = JSON.stringify([
      present.map((p) => p.attendee_id), waiting.map((p) => p.attendee_id), page.roster.size, recording,
    ]);
    if (signature === page.listed) return;
    page.listed = signature;
    counts(present, waiting);
    const rows = present.map((p) => personRow(p, presentActions(p)));
    document.getElementById("present-list").replaceChildren(...rows, ...(recording ? [recorderRow()] : []));
    if (!isSecretariat) return;
    arrivals(waiting);
    const lobby = document.getElementById("lobby-list");
    shownWaiting = waiting.map((p) => p.attendee_id);
    document.getElementById("admit-all-row").hidden = waiting.length < 2;
    document.getElementById("admit-all").textContent = `Admit everyone (${waiting.length})`;
    if (!waiting.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = "Nobody is waiting.";
      lobby.replaceChildren(none);
    } else {
      lobby.replaceChildren(...waiting.map((p) => personRow(p, lobbyActions(p))));
    }
    renderTelephone({ page, call, engagementId, personRow });
  }

  document.getElementById("admit-all")?.addEventListener("click", () => {
    const shown = shownWaiting.length;
    call("/participants/admit", { attendee_ids: shownWaiting })
      .then(({ events }) => announce(events.length === shown
        ? `${shown} people admitted.`
        : `${events.length} of ${shown} people admitted; the others had left the lobby.`))
      .catch(refused);
  });

  document.getElementById("toggle-lock")?.addEventListener("click", () => {
    const locking = !page.state.locked;
    call("/lock", { locked: locking })
      .then(() => announce(locking ? "The room is locked." : "The room is unlocked."))
      .catch(refused);
  });

  return render;
}

// Someone was in a media room under a number nobody was given (a link or token used twice):
// Janus has put them out already; the secretariat is told, calmly, and can act on the cause.
export function renderAlarms(page, isSecretariat) {
  const panel = document.getElementById("alarms");
  if (!isSecretariat || !panel) return;
  const alarms = page.state.alarms;
  panel.hidden = alarms.length === 0;
  if (panel.dataset.shown === String(alarms.length)) return;
  panel.dataset.shown = String(alarms.length);
  if (alarms.length) announce("An unexpected participant was put out of the meeting's media.");
  const rooms = { videoroom: "the meeting's room", audiobridge: "an interpreter's booth" };
  document.getElementById("alarm-list").replaceChildren(...alarms.slice(-5).reverse().map((a) => {
    const item = document.createElement("li");
    const when = new Date(a.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const name = a.display ? `“${a.display}”` : "someone unnamed";
    item.textContent = `${when}: ${name} entered ${rooms[a.room] ?? a.room} as participant ${a.participant_id}, `
      + "a number nobody was given, and was put out. A link or media access may have been shared.";
    return item;
  }));
}
