// The stage: the floor holder large for everyone (themselves included, as a self-view), the
// heads of delegation beneath in order of precedence with the chair first, and the
// secretariat apart. Interpreters are heard on their channels and the press watches: neither
// is ever among the heads' tiles.

const NOT_A_HEAD = new Set(["secretariat", "interpreter", "press", "technician"]);
// Those seen apart from the heads: the secretariat and the technicians who run the meeting.
const OFFICERS = new Set(["secretariat", "technician"]);

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
  office.textContent = OFFICERS.has(person.role) ? person.office : `${person.office} · ${person.delegation.name}`;
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

function tile(page, person) {
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
  figure.classList.toggle("has-floor", page.state.floor.turn?.attendee_id === person.attendee_id);
  return figure;
}

// Who is large: whoever holds the floor; with the floor free, whoever last spoke among the
// heads, else the chair, else the first in precedence (never oneself while others are here).
export function largeOne(page, present) {
  const heads = present.filter((p) => !NOT_A_HEAD.has(p.role));
  const holder = page.state.floor.turn?.attendee_id;
  const byId = (id) => present.find((p) => p.attendee_id === id && p.role !== "interpreter");
  return byId(holder)
    ?? heads.find((p) => p.attendee_id === page.speaker)
    ?? heads.find((p) => p.role === "chair" && p.attendee_id !== page.me)
    ?? heads.find((p) => p.attendee_id !== page.me)
    ?? heads[0];
}

// Draws the stage from the people admitted (sorted by rank). The three containers are
// filled in one go, so that a tile moved from one to another keeps playing.
export function renderStage(page, present) {
  const large = largeOne(page, present);
  const rest = present.filter((p) => p !== large && !NOT_A_HEAD.has(p.role));
  rest.sort((a, b) => (b.role === "chair") - (a.role === "chair") || a.rank - b.rank);
  const officers = present.filter((p) => p !== large && OFFICERS.has(p.role));
  document.getElementById("speaker").replaceChildren(...(large ? [tile(page, large)] : []));
  document.getElementById("tiles").replaceChildren(...rest.map((p) => tile(page, p)));
  document.getElementById("officers").replaceChildren(...officers.map((p) => tile(page, p)));
}
