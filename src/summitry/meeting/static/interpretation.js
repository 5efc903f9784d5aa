// The listener's side of interpretation on the meeting page: the channel menu, the channel's
// audio, the language one speaks, and (for the chair) the booths' signals and the floor level.

import { ChannelListener } from "./channels.js";
import { announce, refused } from "./notice.js";

export function initChannels({ page, call, engagementId, presides }) {
  const api = `/api/v1/engagements/${engagementId}/interpretation`;
  const menu = document.getElementById("channel-choice");
  const audio = document.getElementById("channel-audio");
  const note = document.getElementById("channel-note");
  const noteStatus = document.createElement("span");
  const noteDetail = Object.assign(document.createElement("span"), { className: "note-detail" });
  note?.append(noteStatus, noteDetail);
  const speaks = document.getElementById("my-language");
  const slowDown = document.getElementById("slow-down");
  const level = document.getElementById("floor-level");
  if (!menu) return () => {};

  let listener = null;
  let opening = null;
  let heardBefore; // the channel last said, so that a change is announced once
  let choosing; // a choice on its way to the server: heard at once, until the log has it
  let choosingSince = 0;
  let slowSeen = null; // the booth's signal shown, and the turn it was about

  // The listener hears their choice at once (their page holds every channel's access); the
  // server records it on the way, so that it outlives a reconnection, and a refusal puts the
  // page back where the log says.
  menu.addEventListener("change", () => {
    const channel = menu.value === "floor" ? null : menu.value;
    choosing = channel;
    choosingSince = Date.now();
    render();
    call(`${api}/channel`, { channel }, "PUT").catch((error) => {
      choosing = undefined;
      refused(error);
      render();
    });
  });
  speaks?.addEventListener("change", () => {
    call(`${api}/language`, { language: speaks.value }, "PUT").catch(refused);
  });
  level?.addEventListener("change", () => {
    call(`${api}/floor-level`, { percent: Number(level.value) }, "PUT").catch(refused);
  });

  async function open() {
    const response = await fetch(`${api}/access`);
    if (!response.ok) throw new Error((await response.json()).error?.message);
    const opened = new ChannelListener(await response.json(), audio);
    opened.fetchedAt = Date.now();
    listener = opened;
    opened.addEventListener("lost", ({ detail }) => {
      console.warn("channel lost:", detail.cause);
      listener?.stop();
      listener = null;
      setTimeout(render, 2000);
    });
    await opened.prepare();
  }

  // What this person should hear now: their channel, except while they have the floor (a
  // channel carries the floor, so they would hear their own voice come back).
  function wanted() {
    const recorded = page.state.interpretation.channels.get(page.me) ?? null;
    // The log catches up with the choice within a moment; if it never does, it has the say.
    if (choosing !== undefined && (recorded === choosing || Date.now() - choosingSince > 5000)) {
      choosing = undefined;
    }
    const chosen = choosing !== undefined ? choosing : recorded;
    const speaking = page.state.floor.turn?.attendee_id === page.me;
    return { chosen, effective: speaking ? null : chosen, speaking };
  }

  page.heard = () => {
    const { effective } = wanted();
    if (effective && listener?.stream) return [listener.stream];
    return [...page.streams.values()];
  };

  function render() {
    if (page.state.presenceOf(page.me) !== "admitted") return;
    const { chosen, effective, speaking } = wanted();
    menu.value = chosen ?? "floor";
    page.floorMuted = effective !== null;
    for (const video of document.querySelectorAll("figure.tile video")) {
      const mine = video.closest("figure").dataset.attendee === String(page.me);
      video.muted = mine || page.floorMuted;
    }
    const [status, detail] = noteFor(chosen, speaking);
    if (noteStatus.textContent !== status) noteStatus.textContent = status;
    if (noteDetail.textContent !== detail) noteDetail.textContent = detail;
    if (heardBefore !== undefined && heardBefore !== chosen) announce(`You now hear ${channelName(chosen)}.`);
    heardBefore = chosen;
    const mine = page.state.interpretation.languages.get(page.me);
    if (speaks && mine) speaks.value = mine;
    if (presides) renderChair();
    // Opened once admitted, before any choice: the first one is then a switch, not a call.
    if (!listener) {
      opening ??= open()
        .then(render, (e) => { console.warn("channels", e); setTimeout(render, 2000); })
        .finally(() => { opening = null; });
      return;
    }
    if (effective && !listener.channel(effective) && Date.now() - listener.fetchedAt > 2000) {
      // A channel made since this page fetched its access (a booth staffed later): fetch it anew.
      listener.stop();
      listener = null;
      render();
      return;
    }
    if (listener.current !== effective) listener.listen(effective).catch((e) => console.warn("channel", e));
  }

  function channelName(channel) {
    if (!channel) return "the floor";
    const english = menu.querySelector(`option[value="${channel}"]`)?.dataset.english ?? channel;
    return `the ${english} channel`;
  }

  // Whether a booth is on the air on my channel, or the floor comes through unchanged; the
  // detail (the floor's level) is the part a phone leaves out.
  function noteFor(chosen, speaking) {
    if (speaking && chosen) return ["You have the floor: your channel is paused while you speak.", ""];
    if (!chosen) return ["Floor: the original, no interpretation.", ""];
    const live = page.state.interpretation.live.has(chosen);
    return [live ? "Interpreter live." : "Floor (no interpreter on the air).",
      ` The floor is underneath at ${floorLevel()} %.`];
  }

  function floorLevel() {
    return page.state.interpretation.floorLevel ?? Number(menu.dataset.floorLevel);
  }

  function renderChair() {
    if (level) level.value = String(floorLevel());
    const signal = page.state.interpretation.slowDown;
    if (!slowDown) return;
    // A signal is about the speaker it was sent for: it goes when the floor changes hands.
    const turn = page.state.floor.turn;
    const turnKey = turn ? `${turn.attendee_id}@${turn.started_at}` : null;
    if (signal && slowSeen?.at !== signal.at) slowSeen = { at: signal.at, turn: turnKey };
    const fresh = signal && slowSeen.turn === turnKey
      && Date.now() + (page.clockOffset ?? 0) - Date.parse(signal.at) < 60_000;
    slowDown.hidden = !fresh;
    if (fresh) {
      const booth = menu.querySelector(`option[value="${signal.booth}"]`)?.dataset.english ?? signal.booth;
      slowDown.textContent = `The ${booth} booth asks the speaker to slow down.`;
      if (!slowSeen.said) announce(slowDown.textContent);
      slowSeen.said = true;
    }
  }

  return render;
}
