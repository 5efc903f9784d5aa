// The meeting page: device check, lobby and room, all driven by the live event feed.

import { Presence } from "./presence.js";
import { MediaSession, connectJanus } from "./media.js";
import { initFloor } from "./floor.js";
import { initChannels } from "./interpretation.js";
import { request, showDeviceError } from "./page.js";
import { refused } from "./notice.js";
import { renderTelephone as drawTelephone } from "./telephone.js";

const root = document.getElementById("meeting");
const engagementId = Number(root.dataset.engagement);
const isSecretariat = root.dataset.secretariat === "true";
const presides = root.dataset.presides === "true";
const api = `/api/v1/engagements/${engagementId}/live`;
const languageNames = new Intl.DisplayNames(["en"], { type: "language" });

const page = {
  state: null, roster: new Map(), me: null, local: null, media: null, joined: false,
  streams: new Map(), speaker: null, mediaEpoch: null,
};
window.summitryMeeting = page; // read by the browser tests

function call(path, body, method = "POST") {
  return request(path.startsWith("/api/") ? path : `${api}${path}`, body, method);
}

// Clocks: the host's time and the viewer's own, to the second, each with its zone.
function tick() {
  const now = new Date();
  const fmt = (zone) => new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: zone, timeZoneName: "short",
  }).format(now);
  document.querySelector('[data-clock="host"]').textContent = fmt(root.dataset.hostZone);
  document.querySelector('[data-clock="local"]').textContent = fmt(undefined);
}
tick();
setInterval(tick, 1000);

// Device check.
const preview = document.getElementById("preview");
const cameraChoice = document.getElementById("camera-choice");
const micChoice = document.getElementById("mic-choice");

async function openDevices() {
  const constraints = {
    audio: micChoice.value ? { deviceId: { exact: micChoice.value } } : true,
    video: cameraChoice.value
      ? { deviceId: { exact: cameraChoice.value }, width: 640, height: 360 }
      : { width: 640, height: 360 },
  };
  page.local?.getTracks().forEach((t) => t.stop());
  try {
    page.local = await navigator.mediaDevices.getUserMedia(constraints);
  } catch (error) {
    showDeviceError(`Your camera or microphone could not be opened (${error.name}). Check that the browser may use them.`);
    return;
  }
  preview.srcObject = page.local;
  const devices = await navigator.mediaDevices.enumerateDevices();
  fill(cameraChoice, devices.filter((d) => d.kind === "videoinput"), page.local.getVideoTracks()[0]);
  fill(micChoice, devices.filter((d) => d.kind === "audioinput"), page.local.getAudioTracks()[0]);
  meterLevel(page.local);
}

function fill(select, devices, track) {
  const current = track?.getSettings().deviceId;
  select.replaceChildren(...devices.map((d, i) => {
    const option = new Option(d.label || `Device ${i + 1}`, d.deviceId);
    option.selected = d.deviceId === current;
    return option;
  }));
}

function meterLevel(stream) {
  if (!stream.getAudioTracks().length) return;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  const bar = document.getElementById("mic-level");
  const draw = () => {
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
    bar.style.width = `${Math.min(100, (peak / 128) * 160)}%`;
    if (!page.joined) requestAnimationFrame(draw);
  };
  draw();
}

cameraChoice.addEventListener("change", openDevices);
micChoice.addEventListener("change", openDevices);

// The live feed, and where I am in the meeting.
const clock = ({ detail }) => { page.clockOffset = Date.parse(detail.now) - Date.now(); };
const presence = new Presence({
  page,
  engagementId,
  texts: {
    ended: ["This meeting has ended", "The secretariat ended the meeting for everyone. Its record stays with the engagement."],
    removed: ["You were removed from the meeting", "The secretariat has taken you out of this meeting."],
    turnedAway: ["You were not admitted", "The secretariat did not admit you to this meeting."],
    left: "You have left the meeting",
    leave: ["You have left the meeting", "You can join again from the engagement's page while it lasts."],
    denied: ["Your access to this meeting has ended", "Your invitation is no longer valid. Ask the secretariat for a new link."],
  },
  hooks: {
    hello: (detail) => clock({ detail }),
    update: () => { document.querySelector('[data-mark="lock"]').hidden = !page.state.locked; },
    lobby: () => {
      // Meet the media server while waiting, so that admission goes straight to the room.
      if (!page.link && root.dataset.mediaUrl) page.link = connectJanus(root.dataset.mediaUrl);
    },
    admitted: () => { ensureMedia(); renderRoom(); },
    teardown,
  },
});
const connectionMark = presence.mark;
presence.socket.addEventListener("ping", clock);
// My room and token, sent to me alone just before the event that admits me: no request
// stands between the admission and the media.
presence.socket.addEventListener("media", ({ detail }) => { page.access = detail; });
presence.start();
presence.bindEnter(document.getElementById("join"));
presence.bindLeave(document.getElementById("leave"));

async function ensureMedia() {
  const epoch = page.state.mediaEpoch;
  if (page.media && page.mediaEpoch === epoch) return;
  if (page.connecting) return;
  page.connecting = true;
  page.media?.stop();
  page.mediaEpoch = epoch;
  try {
    if (!page.local) await openDevices();
    let access = page.access; // sent with my admission; used once, a later join asks again
    page.access = null;
    if (!access) {
      const response = await fetch(`${api}/media`);
      if (response.status === 404) {
        // This Summitry runs without a media server: the meeting is its record and its floor.
        page.media = { stop() {} };
        connectionMark.textContent = "Connected · no media server";
        return;
      }
      if (!response.ok) throw new Error((await response.json()).error?.message);
      access = await response.json();
    }
    const media = new MediaSession(access, page.local, page.me, page.link);
    page.link = null;
    media.addEventListener("stream", ({ detail }) => { page.streams.set(detail.attendee, detail.stream); renderRoom(); });
    media.addEventListener("gone", ({ detail }) => { page.streams.delete(detail.attendee); renderRoom(); });
    media.addEventListener("talking", ({ detail }) => {
      const who = media.feeds.get(detail.feed) ?? (detail.feed === access.feed_id ? page.me : null);
      if (detail.talking && who !== null) { page.speaker = who; renderRoom(); }
    });
    media.addEventListener("lost", () => retryMedia());
    media.addEventListener("publishing", ({ detail }) => {
      if (detail.up) call("/published").catch(() => {});
    });
    page.media = media;
    await media.start();
    applyMyMicrophone();
  } catch (error) {
    console.warn("media", error);
    retryMedia();
  } finally {
    page.connecting = false;
  }
}

function retryMedia() {
  page.media?.stop();
  page.media = null;
  presence.retryLater("media", ensureMedia);
}

function applyMyMicrophone() {
  const me = page.state.participants.get(page.me);
  const muted = me?.muted ?? true;
  page.local?.getAudioTracks().forEach((t) => { t.enabled = !muted; });
  const button = document.getElementById("toggle-mic");
  button.textContent = muted ? "Microphone off" : "Microphone on";
  button.setAttribute("aria-pressed", String(!muted));
  button.classList.toggle("live", !muted);
}

function plate(person) {
  const caption = document.createElement("figcaption");
  caption.className = "nameplate";
  const code = document.createElement("span");
  code.className = "plate-code";
  code.textContent = person.delegation.code;
  const text = document.createElement("span");
  text.className = "nameplate-text";
  const name = document.createElement("strong");
  name.textContent = person.name;
  const office = document.createElement("span");
  office.textContent = person.role === "secretariat" ? person.office : `${person.office} · ${person.delegation.name}`;
  text.append(name, office);
  caption.append(code, text);
  if (person.role === "chair") {
    const chair = document.createElement("span");
    chair.className = "tag";
    chair.textContent = "Chair";
    caption.append(chair);
  }
  return caption;
}

function tile(person) {
  let figure = document.querySelector(`figure.tile[data-attendee="${person.attendee_id}"]`);
  if (!figure) {
    figure = document.createElement("figure");
    figure.className = "tile";
    figure.dataset.attendee = person.attendee_id;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    const mic = document.createElement("span");
    mic.className = "mic-state";
    const phone = document.createElement("span");
    phone.className = "phone-mark";
    phone.textContent = "☎ Telephone · not encrypted";
    phone.title = "This person is on the telephone: audio only, not end-to-end encrypted";
    figure.append(video, plate(person), mic, phone);
  }
  const video = figure.querySelector("video");
  const stream = person.attendee_id === page.me ? page.local : page.streams.get(person.attendee_id);
  if (stream && video.srcObject !== stream) video.srcObject = stream;
  video.muted = person.attendee_id === page.me || Boolean(page.floorMuted);
  const state = page.state.participants.get(person.attendee_id);
  const live = state && !state.muted;
  figure.querySelector(".mic-state").textContent = live ? "Microphone live" : "Muted";
  figure.classList.toggle("mic-live", Boolean(live));
  figure.classList.toggle("speaking", page.speaker === person.attendee_id);
  figure.classList.toggle("no-video", !stream);
  figure.classList.toggle("telephone", state?.channel === "telephone");
  return figure;
}

const renderFloor = initFloor({ page, call, presides, engagementId });
const renderChannels = initChannels({ page, call, engagementId, presides });

function renderRoom() {
  applyMyMicrophone();
  renderFloor();
  renderChannels();
  renderAlarms();
  const present = [...page.roster.values()]
    .filter((p) => page.state.presenceOf(p.attendee_id) === "admitted")
    .sort((a, b) => a.rank - b.rank);
  // Interpreters are heard on their channels, not seen: they have no tile.
  const seen = present.filter((p) => p.role !== "interpreter");
  const speakerArea = document.getElementById("speaker");
  const tiles = document.getElementById("tiles");
  const speaker = seen.find((p) => p.attendee_id === page.speaker) ?? seen.find((p) => p.attendee_id !== page.me) ?? seen[0];
  speakerArea.replaceChildren(...(speaker ? [tile(speaker)] : []));
  tiles.replaceChildren(...seen.filter((p) => p !== speaker).map(tile));
  renderLists(present);
}

// Someone was in a media room under a number nobody was given (a link or token used twice):
// Janus has put them out already; the secretariat is told, calmly, and can act on the cause.
function renderAlarms() {
  const panel = document.getElementById("alarms");
  if (!isSecretariat || !panel) return;
  const alarms = page.state.alarms;
  panel.hidden = alarms.length === 0;
  if (panel.dataset.shown === String(alarms.length)) return;
  panel.dataset.shown = String(alarms.length);
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

function renderLists(present) {
  // Rebuilt only when who is listed changes: a button must not vanish under the pointer
  // each time someone starts talking.
  const waiting = isSecretariat
    ? [...page.roster.values()].filter((p) => page.state.presenceOf(p.attendee_id) === "lobby")
    : [];
  const signature = JSON.stringify([
    present.map((p) => p.attendee_id), waiting.map((p) => p.attendee_id), page.roster.size,
  ]);
  if (isSecretariat) {
    const lockButton = document.getElementById("toggle-lock");
    lockButton.textContent = page.state.locked ? "Unlock the room" : "Lock the room";
    lockButton.setAttribute("aria-pressed", String(page.state.locked));
  }
  if (signature === page.listed) return;
  page.listed = signature;
  const list = document.getElementById("present-list");
  list.replaceChildren(...present.map((p) => personRow(p, isSecretariat && p.attendee_id !== page.me
    ? [["Mute", () => call(`/participants/${p.attendee_id}/microphone`, { muted: true })],
       ["Remove", () => call(`/participants/${p.attendee_id}/remove`)]]
    : [])));
  if (!isSecretariat) return;
  document.getElementById("lobby-count").textContent = String(waiting.length);
  const lobby = document.getElementById("lobby-list");
  if (!waiting.length) {
    const none = document.createElement("li");
    none.className = "muted";
    none.textContent = "Nobody is waiting.";
    lobby.replaceChildren(none);
  } else {
    lobby.replaceChildren(...waiting.map((p) => personRow(p, [
      ["Admit", () => call(`/participants/${p.attendee_id}/admit`)],
      ["Turn away", () => call(`/participants/${p.attendee_id}/turn-away`)],
    ])));
  }
  drawTelephone({ page, call, engagementId, personRow });
}

function personRow(person, actions) {
  const li = document.createElement("li");
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
    button.addEventListener("click", () => act(li).catch(refused));
    li.append(button);
  }
  return li;
}

function teardown() {
  page.media?.stop();
  page.media = null;
  try { page.link?.janus?.destroy({ unload: true }); } catch { /* already gone */ }
  page.link = null;
  page.local?.getTracks().forEach((t) => t.stop());
}

document.getElementById("toggle-mic").addEventListener("click", () => {
  const muted = page.state.participants.get(page.me)?.muted ?? true;
  call("/microphone", { muted: !muted }).catch(refused);
});
document.getElementById("toggle-camera").addEventListener("click", (event) => {
  const track = page.local?.getVideoTracks()[0];
  if (!track) return;
  track.enabled = !track.enabled;
  event.target.textContent = track.enabled ? "Camera on" : "Camera off";
  event.target.setAttribute("aria-pressed", String(track.enabled));
  call("/camera", { on: track.enabled }).catch(() => {});
});
// Ending is for everyone and cannot be undone: it asks first, and the safe choice has focus.
const endDialog = document.getElementById("end-dialog");
document.getElementById("end-meeting")?.addEventListener("click", () => {
  document.getElementById("end-error").hidden = true;
  endDialog.showModal();
});
document.getElementById("end-cancel")?.addEventListener("click", () => endDialog.close());
document.getElementById("end-confirm")?.addEventListener("click", async () => {
  try {
    await call("/end");
    endDialog.close();
  } catch (error) {
    const line = document.getElementById("end-error");
    line.textContent = error.message;
    line.hidden = false;
  }
});
document.getElementById("toggle-lock")?.addEventListener("click", () => {
  call("/lock", { locked: !page.state.locked }).catch(refused);
});

openDevices();
