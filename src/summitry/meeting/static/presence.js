// Where I am in a meeting, for the meeting page and the interpreter's console alike: the live
// feed folded into the meeting's state, and my stage drawn from it (device check → lobby →
// room → left, removed, turned away, ended, or refused). Each page brings its own words and
// what it does on entering the room or leaving it.

import { MeetingState } from "./state.js";
import { LiveSocket } from "./socket.js";
import { markConnection, request, show, showDeviceError, showEnded } from "./page.js";

const RETRY_MS = 2000;

export class Presence {
  // page: the page's shared object (state, me, roster and joined are kept here);
  // texts: [title, text] pairs; hooks: hello, update, lobby, admitted, teardown (all optional).
  constructor({ page, engagementId, texts, hooks }) {
    this.page = page;
    this.texts = texts;
    this.hooks = hooks;
    this.live = `/api/v1/engagements/${engagementId}/live`;
    this.retries = new Map();
    this.socket = new LiveSocket(engagementId);
    this.mark = markConnection(this.socket);
    this.socket.addEventListener("hello", ({ detail }) => {
      hooks.hello?.(detail);
      page.state = new MeetingState(detail.state);
      page.me = detail.me;
      this.setRoster(detail.roster);
      this.render();
    });
    this.socket.addEventListener("roster", ({ detail }) => { this.setRoster(detail.roster); this.render(); });
    this.socket.addEventListener("event", ({ detail }) => { page.state.apply(detail); this.render(); });
    // Once the meeting has ended, the closing socket is its consequence, not news of its own.
    this.socket.addEventListener("denied", () => {
      if (!(texts.ended && page.state?.ended)) this.ended(...texts.denied);
    });
  }

  start() { this.socket.connect(); }

  setRoster(list) {
    this.page.roster = new Map(list.map((p) => [p.attendee_id, p]));
  }

  admitted() {
    return this.page.state?.presenceOf(this.page.me) === "admitted";
  }

  render() {
    const { page, texts, hooks } = this;
    if (!page.state || page.me === null) return;
    const mine = page.state.presenceOf(page.me);
    hooks.update?.();
    if (texts.ended && page.state.ended) return this.ended(...texts.ended);
    if (mine === "removed") return this.ended(...texts.removed);
    if (mine === "turned_away") return this.ended(...texts.turnedAway);
    if (mine === "left" && page.joined) return this.ended(texts.left, "");
    if (!page.joined && mine !== "admitted") return show("check");
    if (mine === "lobby") {
      hooks.lobby?.();
      return show("lobby");
    }
    if (mine === "admitted") {
      show("room");
      page.joined = true;
      hooks.admitted?.();
    }
  }

  ended(title, text) {
    this.hooks.teardown?.();
    showEnded(title, text);
  }

  // Media lost or refused: said in the header, and tried again while I am still in the room.
  retryLater(key, again) {
    this.mark.textContent = "Media reconnecting…";
    this.mark.classList.add("warn");
    clearTimeout(this.retries.get(key));
    this.retries.set(key, setTimeout(() => { if (this.admitted()) again(); }, RETRY_MS));
  }

  // Media back (after a retry, or on a rebuilt or moved room): the header says so again,
  // unless the live socket itself is what is reconnecting.
  recovered(key) {
    clearTimeout(this.retries.get(key));
    this.retries.delete(key);
    if (this.mark.textContent === "Media reconnecting…") {
      this.mark.textContent = "Connected";
      this.mark.classList.remove("warn");
    }
  }

  // The button that enters (the lobby, or the room for the secretariat); prepare runs first,
  // within the click, for what a browser allows only then (starting audio).
  bindEnter(button, prepare) {
    button.addEventListener("click", async () => {
      await prepare?.();
      try {
        await request(`${this.live}/enter`);
        this.page.joined = true;
        this.render();
      } catch (error) {
        showDeviceError(error.message);
      }
    });
  }

  bindLeave(button) {
    button.addEventListener("click", async () => {
      await request(`${this.live}/leave`).catch(() => {});
      this.ended(...this.texts.leave);
    });
  }
}
