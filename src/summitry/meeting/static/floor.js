// The floor panel: the item, who has the floor and for how long, the speakers' list, my
// requests, and (for the chair) the controls. Everything shown comes from the folded state.

import { turnClock } from "./state.js";
import { refused } from "./notice.js";
import { confirmAction } from "/static/confirm.js";

const KIND = { statement: "", point_of_order: "Point of order", right_of_reply: "Right of reply" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function mmss(seconds) {
  const sign = seconds < 0 ? "−" : "";
  const s = Math.abs(Math.round(seconds));
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function initFloor({ page, call, presides, engagementId }) {
  const api = (path, body, method = "POST") =>
    call(`/api/v1/engagements/${engagementId}/floor${path}`, body, method);
  const onBehalf = document.getElementById("on-behalf");

  for (const button of document.querySelectorAll("[data-floor-request]")) {
    button.addEventListener("click", () => {
      const body = { kind: button.dataset.floorRequest };
      if (onBehalf.value.trim()) body.on_behalf_of = onBehalf.value.trim();
      api("/requests", body).then(() => { onBehalf.value = ""; }).catch(refused);
    });
  }
  if (presides) {
    const bind = (id, act) => document.getElementById(id)?.addEventListener("click", () => act().catch(refused));
    bind("open-item", () => api(`/items/${document.getElementById("agenda-item").value}/open`,
      { inscribe_all: document.getElementById("inscribe-all").checked }));
    bind("close-item", () => api("/items/close"));
    bind("give-next", () => api("/give", {}));
    bind("extend", () => api("/extend", { seconds: 60 }));
    const cut = document.getElementById("cut");
    cut.addEventListener("click", () => {
      const turn = page.state.floor.turn;
      const name = turn ? (person(turn.attendee_id)?.name ?? turn.delegation) : null;
      confirmAction({
        title: name ? `Cut ${name}?` : "Cut the speaker?",
        text: name
          ? `${name} loses the floor now and their microphone is closed. The speaking log records the cut.`
          : "No one has the floor at the moment.",
        yes: "Cut",
        act: () => api("/release", { cut: true }),
        returnTo: cut,
        fallback: document.getElementById("chair-title"),
      });
    });
    bind("toggle-list", () => api("/list", { closed: !page.state.floor.closed }));
    bind("roll", () => (page.state.floor.rollCall ? api("/roll-call/close") : api("/roll-call/open")));
  }

  function person(id) {
    return page.roster.get(id);
  }

  function requestRow(request, index, queue) {
    const who = person(request.attendee_id);
    const kind = KIND[request.kind];
    const li = el("li", { className: `request kind-${request.kind}` },
      el("span", { className: "plate-code", textContent: request.delegation }),
      el("span", { className: "who" },
        el("strong", { textContent: who ? who.name : request.delegation }),
        request.on_behalf_of ? el("span", { className: "muted small", textContent: `on behalf of ${request.on_behalf_of}` }) : null,
        kind ? el("span", { className: "tag", textContent: kind }) : null));
    const mine = request.attendee_id === page.me;
    const actions = [];
    if (presides) {
      actions.push(["Give", `Give the floor to ${who?.name ?? request.delegation}`, () => api("/give", { request_id: request.id })]);
      if (index > 0) actions.push(["↑", `Move ${who?.name ?? request.delegation} up`, () => move(queue, index, -1)]);
      if (index < queue.length - 1) actions.push(["↓", `Move ${who?.name ?? request.delegation} down`, () => move(queue, index, 1)]);
      actions.push(["Skip", `Skip ${who?.name ?? request.delegation}`, () => api(`/requests/${request.id}/skip`)]);
    } else if (mine) {
      actions.push(["Withdraw", "Withdraw my request", () => api(`/requests/${request.id}`, undefined, "DELETE")]);
    }
    for (const [label, aria, act] of actions) {
      li.append(el("button", { type: "button", className: "button small secondary", textContent: label,
        ariaLabel: aria, onclick: () => act().catch(refused) }));
    }
    return li;
  }

  function move(queue, index, by) {
    const ids = queue.map((r) => r.id);
    [ids[index], ids[index + by]] = [ids[index + by], ids[index]];
    return api("/requests/order", { request_ids: ids }, "PUT");
  }

  function render() {
    const floor = page.state.floor;
    document.getElementById("floor-item").textContent = floor.item === null
      ? "No agenda item is open."
      : `Item ${floor.item + 1}: ${floor.itemTitle}${floor.limit ? ` · ${mmss(floor.limit)} per speaker` : ""}`;
    const list = document.getElementById("speakers-list");
    list.replaceChildren(...floor.queue.map((r, i, q) => requestRow(r, i, q)));
    // Said beside the list, not as its first entry: an empty list is not numbered "1.".
    document.getElementById("list-empty").hidden = floor.queue.length > 0;
    const openLine = document.getElementById("open-item-line");
    if (openLine) {
      openLine.textContent = floor.item === null ? "No item is open." : `Open: item ${floor.item + 1}, ${floor.itemTitle}`;
    }
    document.getElementById("list-state").textContent = floor.closed ? "closed" : "";
    const toggle = document.getElementById("toggle-list");
    if (toggle) toggle.textContent = floor.closed ? "Reopen the list" : "Close the list";
    const roll = document.getElementById("roll");
    if (roll) roll.textContent = floor.rollCall ? "Close the roll call" : "Call the roll";
    renderRollCall(floor);
    tick();
  }

  function renderRollCall(floor) {
    const box = document.getElementById("roll-call");
    box.hidden = !floor.rollCall;
    if (!floor.rollCall) return;
    const mine = page.roster.get(page.me)?.delegation.code;
    const names = new Map(Object.entries(JSON.parse(document.getElementById("meeting").dataset.delegations ?? "{}")));
    const items = floor.rollCall.map((code) => {
      const answer = floor.present[code];
      const li = el("li", {}, el("span", { className: "plate-code", textContent: code }),
        el("strong", { className: "roll-name", textContent: names.get(code) ?? code }),
        el("span", { textContent: answer === undefined ? "called" : answer ? "present" : "absent",
          className: answer ? "present" : "muted" }));
      if (answer === undefined && (code === mine || presides)) {
        li.append(el("button", { type: "button", className: "button small", textContent: "Present",
          ariaLabel: `${names.get(code) ?? code} is present`,
          onclick: () => api("/roll-call/answer", { delegation: code, present: true }).catch(refused) }));
      }
      return li;
    });
    box.replaceChildren(el("h3", { textContent: "Roll call" }), el("ul", { className: "roll" }, ...items));
  }

  // The box is built when the turn changes; each tick only rewrites the digits, which sit in
  // a timer (not a live region), so nothing is announced as the seconds pass.
  let shownTurn = null;
  function tick() {
    const box = document.getElementById("floor-speaker");
    const turn = page.state?.floor.turn;
    const key = turn ? `${turn.id}@${turn.started_at}` : "none";
    if (key !== shownTurn) {
      shownTurn = key;
      box.replaceChildren(...(turn ? turnBox(turn) : [el("p", { className: "muted", textContent: "No one has the floor." })]));
    }
    if (!turn) {
      box.className = "speaker-now";
      return;
    }
    const clock = turnClock(turn, Date.now() + (page.clockOffset ?? 0));
    const label = clock === null ? "no time limit"
      : clock.phase === "grace" ? "over time" : clock.phase === "expired" ? "time is up" : "remaining";
    const digits = box.querySelector(".digits");
    const text = clock ? mmss(clock.remaining) : "—";
    if (digits.textContent !== text) digits.textContent = text;
    const note = box.querySelector(".clock-label");
    if (note.textContent !== ` ${label}`) note.textContent = ` ${label}`;
    box.className = `speaker-now phase-${clock ? clock.phase : "open"}`;
  }

  function turnBox(turn) {
    const who = person(turn.attendee_id);
    const children = [
      el("p", { className: "eyebrow", textContent: "Has the floor" }),
      el("p", { className: "speaker-name" },
        el("span", { className: "plate-code", textContent: turn.delegation }),
        el("strong", { textContent: who ? who.name : turn.delegation })),
      el("p", { className: "countdown", role: "timer" },
        el("span", { className: "digits", textContent: "—" }),
        el("span", { className: "muted small clock-label" })),
    ];
    if (turn.attendee_id === page.me) {
      children.push(el("button", { type: "button", className: "button small secondary", textContent: "Yield the floor",
        onclick: () => api("/release", { cut: false }).catch(refused) }));
    }
    return children;
  }

  setInterval(tick, 250);
  return render;
}
