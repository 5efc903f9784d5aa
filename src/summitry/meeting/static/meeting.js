// The meeting page: device check, lobby and room, all driven by the live event feed.

import { Presence } from "./presence.js";
import { MediaSession, connectJanus } from "./media.js";
import { initFloor } from "./floor.js";
import { initChannels } from "./interpretation.js";
import { request, showDeviceError } from "./page.js";
import { initBar } from "./bar.js";
import { initLists, renderAlarms } from "./lobby.js";
import { initShortcuts } from "./shortcuts.js";
import { renderStage } from "./stage.js";
import { initText } from "./text.js";
import { initRecording } from "./recording.js";
import { confirmAction } from "/static/confirm.js";

const root = document.getElementById("meeting");
const engagementId = Number(root.dataset.engagement);
const isSecretariat = root.dataset.secretariat === "true";
const presides = root.dataset.presides === "true";
const recordedByDefault = root.dataset.recordedByDefault === "true";
const api = `/api/v1/engagements/${engagementId}/live`;

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
    update: () => {
      document.querySelector('[data-mark="lock"]').hidden = !page.state.locked;
      renderRecording();
    },
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
initText(presence.socket, engagementId);
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
    presence.recovered("media");
    bar.render();
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

const renderFloor = initFloor({ page, call, presides, engagementId });
const renderChannels = initChannels({ page, call, engagementId, presides });

const bar = initBar({ page, call, floorApi: (path, body, method = "POST") =>
  call(`/api/v1/engagements/${engagementId}/floor${path}`, body, method) });
const renderLists = initLists({ page, call, engagementId, isSecretariat, recordedByDefault });
const renderRecording = initRecording({ page, call, engagementId, byDefault: recordedByDefault });
initShortcuts({ openPanel: bar.openPanel, inRoom: () => page.state?.presenceOf(page.me) === "admitted" });

// Who muted me: the fold keeps the microphone's state, the event says by whom.
presence.socket.addEventListener("event", ({ detail }) => {
  const e = detail.event;
  if (e.kind !== "microphone_set" || e.attendee_id !== page.me) return;
  page.mutedBy = e.muted ? e.by : null;
  if (page.state.presenceOf(page.me) === "admitted") bar.render();
});

function renderRoom() {
  bar.render();
  renderFloor();
  renderChannels();
  renderAlarms(page, isSecretariat);
  const present = [...page.roster.values()]
    .filter((p) => page.state.presenceOf(p.attendee_id) === "admitted")
    .sort((a, b) => a.rank - b.rank);
  renderStage(page, present);
  renderLists(present);
}

function teardown() {
  page.media?.stop();
  page.media = null;
  try { page.link?.janus?.destroy({ unload: true }); } catch { /* already gone */ }
  page.link = null;
  page.local?.getTracks().forEach((t) => t.stop());
}

// Ending is for everyone and cannot be undone: it asks first, and the safe choice has focus.
const end = document.getElementById("end-meeting");
end?.addEventListener("click", () => confirmAction({
  title: "End the meeting for everyone?",
  text: "Everyone is put out of the meeting and its media rooms are closed. Every invitation "
    + "link and telephone PIN of this engagement stops working. The record is kept. This "
    + "cannot be undone.",
  yes: "End for everyone",
  no: "Keep the meeting",
  act: () => call("/end"),
  returnTo: end,
}));
openDevices();
