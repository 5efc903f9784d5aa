// The interpreter's console: the floor in the headphones (through the ear-protection limiter),
// the microphone into the booth's channel when on the air, handover, relay, "slow down".

import { Presence } from "/static/meeting/presence.js";
import { MediaSession } from "/static/meeting/media.js";
import { BoothMicrophone, ChannelListener, shockLimiter } from "/static/meeting/channels.js";
import { request as call, showDeviceError } from "/static/meeting/page.js";
import { refused as complain } from "/static/meeting/notice.js";
import { initRecording } from "/static/meeting/recording.js";

// How long an access's TURN credentials are taken to be fresh (they are valid for ten
// minutes by default, SUMMITRY_TURN_CREDENTIAL_MINUTES; no shorter than one).
const ACCESS_FRESH_MS = 45_000;
const root = document.getElementById("console");
const engagementId = Number(root.dataset.engagement);
const booth = root.dataset.booth;
const live = `/api/v1/engagements/${engagementId}/live`;
const api = `/api/v1/engagements/${engagementId}/interpretation`;
const languageNames = new Intl.DisplayNames(["en"], { type: "language" });

const page = {
  state: null, roster: new Map(), me: null, joined: false, mic: null,
  floor: null, booth: null, relay: null, audio: null, chain: null, floorBus: null, relayBus: null,
  sources: new Map(), streams: new Map(), talker: null, connecting: false,
};
window.summitryConsole = page; // read by the browser tests

// The microphone, chosen before entering.
const micChoice = document.getElementById("mic-choice");
async function openMicrophone() {
  page.mic?.getTracks().forEach((t) => t.stop());
  try {
    page.mic = await navigator.mediaDevices.getUserMedia({
      audio: micChoice.value ? { deviceId: { exact: micChoice.value } } : true, video: false,
    });
  } catch (error) {
    showDeviceError(`Your microphone could not be opened (${error.name}). Check that the browser may use it.`);
    return;
  }
  const current = page.mic.getAudioTracks()[0]?.getSettings().deviceId;
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "audioinput");
  micChoice.replaceChildren(...devices.map((d, i) => {
    const option = new Option(d.label || `Microphone ${i + 1}`, d.deviceId);
    option.selected = d.deviceId === current;
    return option;
  }));
}
micChoice.addEventListener("change", openMicrophone);

// Everything the interpreter hears goes through one limiter.
function openAudio() {
  if (page.audio) return;
  page.audio = new AudioContext();
  page.chain = shockLimiter(page.audio);
  page.chain.output.connect(page.audio.destination);
  page.floorBus = page.audio.createGain();
  page.relayBus = page.audio.createGain();
  page.relayBus.gain.value = 0;
  page.floorBus.connect(page.chain.input);
  page.relayBus.connect(page.chain.input);
  const bar = document.getElementById("reduction");
  const text = document.getElementById("reduction-text");
  const draw = () => {
    const reduction = -page.chain.limiter.reduction;
    bar.style.width = `${Math.min(100, reduction * 5)}%`;
    text.textContent = `${reduction.toFixed(0)} dB`;
    requestAnimationFrame(draw);
  };
  draw();
}

function hear(stream, bus, key) {
  // Chromium plays a remote track into Web Audio only while a media element holds it too.
  const holder = document.createElement("audio");
  holder.muted = true;
  holder.srcObject = stream;
  holder.play?.().catch(() => {});
  const source = page.audio.createMediaStreamSource(stream);
  source.connect(bus);
  page.sources.get(key)?.source.disconnect();
  page.sources.set(key, { source, holder, stream });
}

// The live feed, and where I am in the meeting. The console has no "meeting ended" stage of
// its own: the refused socket tells the interpreter.
// The booth is told, as every page is, whether the meeting is recorded (it has no switch).
const renderRecording = initRecording({
  page, call, engagementId, byDefault: document.getElementById("console").dataset.recordedByDefault === "true",
});
const presence = new Presence({
  page,
  engagementId,
  texts: {
    removed: ["You were removed from the meeting", "The secretariat has taken you out of this meeting."],
    turnedAway: ["You were not admitted", "The secretariat did not admit you."],
    left: "You have left the booth",
    leave: ["You have left the booth", "You can come back from the engagement's page while the meeting lasts."],
    denied: ["Your access has ended", "Your invitation is no longer valid."],
  },
  hooks: {
    update: () => renderRecording(),
    admitted: () => { openAudio(); ensureMedia(); renderDesk(); },
    teardown,
  },
});
const connectionMark = presence.mark;
presence.start();
presence.bindEnter(document.getElementById("enter"), async () => {
  openAudio();
  await page.audio.resume();
});
presence.bindLeave(document.getElementById("leave"));

function onAir() {
  return page.state.interpretation.live.get(booth) === page.me;
}

async function ensureMedia() {
  if (page.connecting || (page.floor && page.booth)) return;
  page.connecting = true;
  try {
    if (!page.mic) await openMicrophone();
    if (!page.floor) {
      const access = await call(`${live}/media`, null, "GET");
      const floor = new MediaSession(access, null, page.me);
      floor.addEventListener("stream", ({ detail }) => {
        page.streams.set(detail.attendee, detail.stream);
        if (detail.stream.getAudioTracks().length) hear(detail.stream, page.floorBus, `floor ${detail.feed}`);
        renderDesk();
      });
      floor.addEventListener("gone", ({ detail }) => {
        page.streams.delete(detail.attendee);
        page.sources.get(`floor ${detail.feed}`)?.source.disconnect();
        page.sources.delete(`floor ${detail.feed}`);
      });
      floor.addEventListener("talking", ({ detail }) => {
        if (detail.talking) { page.talker = floor.feeds.get(detail.feed) ?? null; renderDesk(); }
      });
      floor.addEventListener("lost", () => retry("floor"));
      page.floor = floor;
      await floor.start();
    }
    if (!page.booth) {
      const access = await call(`${api}/access`, null, "GET");
      page.access = access;
      page.accessAt = Date.now();
      const microphone = new BoothMicrophone(
        access.booth, access.server_url, page.mic.getAudioTracks()[0], access.ice_servers);
      microphone.addEventListener("lost", () => retry("booth"));
      page.booth = microphone;
      await microphone.start(onAir());
    }
    connectionMark.textContent = "Connected";
    connectionMark.classList.remove("warn");
    renderDesk();
  } catch (error) {
    console.warn("console media", error);
    retry("booth");
  } finally {
    page.connecting = false;
  }
}

function retry(part) {
  const stale = part === "floor" ? page.floor : page.booth;
  stale?.stop();
  if (part === "floor") page.floor = null; else page.booth = null;
  presence.retryLater(part, ensureMedia);
}

function person(id) {
  return page.roster.get(id) ?? null;
}

function languageOf(id) {
  const code = page.state.interpretation.languages.get(id) ?? person(id)?.language;
  return code ?? null;
}

function renderDesk() {
  const airborne = onAir();
  page.mic?.getAudioTracks().forEach((t) => { t.enabled = airborne; });
  page.booth?.setOnAir(airborne);
  document.getElementById("on-air").classList.toggle("live", airborne);
  document.getElementById("on-air-text").textContent = airborne ? "On the air" : "Off the air";
  const partnerLive = page.state.interpretation.live.get(booth);
  const detail = document.getElementById("air-detail");
  if (airborne) detail.textContent = `Your listeners hear you in ${root.dataset.boothName}.`;
  else if (partnerLive) detail.textContent = `${person(partnerLive)?.name ?? "Your partner"} is on the air.`;
  else detail.textContent = `Nobody is on the air: listeners of ${root.dataset.boothName} hear the floor.`;
  const toggle = document.getElementById("toggle-air");
  toggle.textContent = airborne ? "Go off the air" : partnerLive ? "Take over" : "Go on the air";
  toggle.classList.toggle("danger", airborne);
  for (const button of document.querySelectorAll("[data-hand-over]")) {
    const partner = Number(button.dataset.handOver);
    button.disabled = !airborne || page.state.presenceOf(partner) !== "admitted";
  }
  for (const row of document.querySelectorAll("[data-interpreter]")) {
    const id = Number(row.dataset.interpreter);
    const status = row.querySelector("[data-status]");
    const here = page.state.presenceOf(id) === "admitted";
    const speaking = page.state.interpretation.live.get(booth) === id;
    status.textContent = speaking ? "On the air" : here ? "In the booth" : "Not here";
    row.classList.toggle("live", speaking);
  }
  renderListening();
  renderSpeaker();
}

function renderListening() {
  const relay = page.state.interpretation.relays.get(page.me) ?? null;
  document.getElementById("listen-to").value = relay ?? "floor";
  if (!page.floorBus) return;
  page.floorBus.gain.value = relay ? 0 : 1;
  page.relayBus.gain.value = relay ? 1 : 0;
  if (relay && page.access) {
    if (!page.relay && Date.now() - page.accessAt > ACCESS_FRESH_MS) {
      // Its TURN credentials open a relay only while fresh: a relay taken long after the
      // booth opened asks for the access again first.
      if (!page.refreshing) {
        page.refreshing = call(`${api}/access`, null, "GET")
          .then((fresh) => { page.access = fresh; })
          .catch(() => {})
          .finally(() => { page.accessAt = Date.now(); page.refreshing = null; renderListening(); });
      }
      return;
    }
    if (!page.relay) {
      page.relay = new ChannelListener(page.access, document.getElementById("relay-audio"));
      page.relay.addEventListener("stream", ({ detail }) => hear(detail.stream, page.relayBus, "relay"));
      page.relay.addEventListener("lost", () => {
        page.relay?.stop();
        page.relay = null;
        // Put out because someone left (the PINs changed): come back with a fresh access.
        call(`${api}/access`, null, "GET").then((fresh) => { page.access = fresh; page.accessAt = Date.now(); })
          .catch(() => {}).finally(() => setTimeout(renderListening, 2000));
      });
    }
    if (page.relay.current !== relay) page.relay.listen(relay).catch((e) => console.warn("relay", e));
  }
}

function renderSpeaker() {
  const turn = page.state.floor.turn;
  const speakerId = turn?.attendee_id ?? page.talker;
  const speaker = speakerId ? person(speakerId) : null;
  const line = document.getElementById("speaker-line");
  const from = document.getElementById("from-line");
  const plate = document.getElementById("speaker-plate");
  if (!speaker) {
    line.textContent = "No one has the floor.";
    from.textContent = "";
    plate.innerHTML = "<span class=\"nameplate-text\"><strong>No one has the floor</strong></span>";
  } else {
    line.textContent = `${speaker.name} · ${speaker.delegation.name}`;
    const code = languageOf(speaker.attendee_id);
    if (!code) from.textContent = "Language not declared.";
    else if (code === booth) from.textContent = `Speaking ${languageNames.of(code)}: your listeners hear the floor itself.`;
    else from.textContent = `Speaking ${languageNames.of(code)}: you interpret from ${languageNames.of(code)}.`;
    const strong = document.createElement("strong");
    strong.textContent = speaker.name;
    const office = document.createElement("span");
    office.textContent = `${speaker.office} · ${speaker.delegation.name}`;
    const text = document.createElement("span");
    text.className = "nameplate-text";
    text.append(strong, office);
    plate.replaceChildren(text);
  }
  const video = document.getElementById("speaker-video");
  const stream = speakerId ? page.streams.get(speakerId) : null;
  if (stream && video.srcObject !== stream) video.srcObject = stream;
  if (!stream) video.srcObject = null;
}

document.getElementById("toggle-air").addEventListener("click", () => {
  call(`${api}/on-air`, { on_air: !onAir() }).catch(complain);
});
for (const button of document.querySelectorAll("[data-hand-over]")) {
  button.addEventListener("click", () => call(`${api}/hand-over`, { to: Number(button.dataset.handOver) }).catch(complain));
}
document.getElementById("slow-down").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  try {
    await call(`${api}/slow-down`);
    button.textContent = "Sent to the chair";
    button.disabled = true;
    setTimeout(() => { button.textContent = "Ask the speaker to slow down"; button.disabled = false; }, 5000);
  } catch (error) { complain(error); }
});
document.getElementById("listen-to").addEventListener("change", (event) => {
  const value = event.target.value;
  call(`${api}/relay`, { booth: value === "floor" ? null : value }, "PUT").catch(complain);
});
function teardown() {
  page.floor?.stop();
  page.booth?.stop();
  page.relay?.stop();
  page.floor = page.booth = page.relay = null;
  page.mic?.getTracks().forEach((t) => t.stop());
}

openMicrophone();
