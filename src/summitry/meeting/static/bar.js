// The control bar, always on screen: my microphone, camera and floor request, the panels'
// buttons with their counts, and one line that says where I stand ("You are 3rd on the
// speakers' list", "You have the floor — you are live" with the countdown, "The secretariat
// muted you"). What changes for me is said once in the polite region; the countdown is a
// timer, never announced as it ticks.

import { turnClock } from "./state.js";
import { announce, refused } from "./notice.js";
import { mmss } from "./floor.js";

const NARROW = window.matchMedia("(max-width: 55.99rem)");

function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th"}`;
}

export function initBar({ page, call, floorApi }) {
  const mic = document.getElementById("toggle-mic");
  const camera = document.getElementById("toggle-camera");
  const requestButton = document.getElementById("request-floor");
  const line = document.getElementById("my-line");
  const stateText = document.getElementById("my-state");
  const myClock = document.getElementById("my-clock");
  const side = document.getElementById("side");
  let lastTurn;
  let lastMutedBy = null;
  let opener = null;

  const mine = () => page.state.floor.queue.findIndex((r) => r.attendee_id === page.me && r.kind === "statement");

  mic.addEventListener("click", () => {
    const muted = page.state.participants.get(page.me)?.muted ?? true;
    call("/microphone", { muted: !muted }).catch(refused);
  });
  camera.addEventListener("click", () => {
    const track = page.local?.getVideoTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    camera.setAttribute("aria-pressed", String(track.enabled));
    camera.dataset.state = track.enabled ? "On" : "Off";
    call("/camera", { on: track.enabled }).catch(() => {});
  });
  requestButton?.addEventListener("click", () => {
    const at = mine();
    if (at >= 0) {
      const request = page.state.floor.queue[at];
      floorApi(`/requests/${request.id}`, undefined, "DELETE")
        .then(() => announce("Your request for the floor is withdrawn."))
        .catch(refused);
      return;
    }
    const onBehalf = document.getElementById("on-behalf");
    const body = { kind: "statement" };
    if (onBehalf?.value.trim()) body.on_behalf_of = onBehalf.value.trim();
    floorApi("/requests", body).then(() => { if (onBehalf) onBehalf.value = ""; }).catch(refused);
  });

  // Panels: beside the stage on a laptop, a drawer over it on a tablet or a phone.
  function openPanel(id, from) {
    const panel = document.getElementById(id);
    if (!panel) return;
    if (NARROW.matches) {
      opener = from ?? document.activeElement;
      side.classList.add("open");
    }
    panel.scrollIntoView({ block: "start" });
    panel.querySelector("h2")?.focus();
  }
  function closeDrawer() {
    if (!side.classList.contains("open")) return;
    side.classList.remove("open");
    opener?.focus();
    opener = null;
  }
  for (const toggle of document.querySelectorAll(".panel-toggle")) {
    toggle.addEventListener("click", () => openPanel(toggle.dataset.panel, toggle));
  }
  document.getElementById("close-drawer").addEventListener("click", closeDrawer);
  side.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDrawer(); });

  function renderButtons() {
    const me = page.state.participants.get(page.me);
    const muted = me?.muted ?? true;
    page.local?.getAudioTracks().forEach((t) => { t.enabled = !muted; });
    mic.setAttribute("aria-pressed", String(!muted));
    mic.classList.toggle("live", !muted);
    mic.dataset.state = muted ? "Muted" : "Live";
    const at = mine();
    if (requestButton) {
      requestButton.textContent = at >= 0 ? "Withdraw your request" : "Request the floor";
      requestButton.classList.toggle("queued", at >= 0);
    }
    for (const badge of document.querySelectorAll('[data-count="queue"]')) {
      badge.textContent = String(page.state.floor.queue.length);
    }
  }

  // Where I stand, most pressing first.
  function myState() {
    const me = page.state.participants.get(page.me);
    const turn = page.state.floor.turn;
    if (turn?.attendee_id === page.me) {
      return me && !me.muted
        ? ["live", "You have the floor — you are live"]
        : ["live", "You have the floor — open your microphone to speak"];
    }
    if (me?.muted && page.mutedBy === "secretariat") return ["warn", "The secretariat muted you"];
    if (me?.muted && page.mutedBy === "floor") return ["warn", "The floor has passed on: your microphone is closed"];
    const queue = page.state.floor.queue;
    const at = queue.findIndex((r) => r.attendee_id === page.me);
    if (at >= 0) return ["", `You are ${ordinal(at + 1)} on the speakers' list`];
    if (me && !me.muted) return ["", "Your microphone is live"];
    return ["", "You are in the room, muted"];
  }

  function announceChanges() {
    const turn = page.state.floor.turn;
    const key = turn ? `${turn.attendee_id}@${turn.started_at}` : null;
    if (lastTurn !== undefined && key !== lastTurn) {
      if (turn?.attendee_id === page.me) announce("You have the floor.");
      else if (turn) announce(`The floor is given to ${page.roster.get(turn.attendee_id)?.name ?? turn.delegation}.`);
      else announce("The floor is free.");
    }
    lastTurn = key;
    const by = page.state.participants.get(page.me)?.muted ? page.mutedBy : null;
    if (by === "secretariat" && lastMutedBy !== by) announce("The secretariat muted your microphone.");
    lastMutedBy = by;
  }

  function tick() {
    const turn = page.state?.floor.turn;
    const clock = turn?.attendee_id === page.me ? turnClock(turn, Date.now() + (page.clockOffset ?? 0)) : null;
    myClock.hidden = clock === null;
    if (clock) {
      const text = clock.remaining >= 0 ? `${mmss(clock.remaining)} left` : `${mmss(clock.remaining)} over time`;
      if (myClock.textContent !== text) myClock.textContent = text;
    }
  }
  setInterval(tick, 500);

  function render() {
    renderButtons();
    const [tone, text] = myState();
    line.className = `my-line ${tone}`;
    if (stateText.textContent !== text) stateText.textContent = text;
    announceChanges();
    tick();
  }

  return { render, openPanel };
}
