// The live feed of one meeting: a snapshot, then events; on any break it resumes from the
// last sequence number it saw, so no event is lost and none is applied twice. It names the
// roster it holds, which the server then sends again only if it has changed.

const SILENCE_LIMIT_MS = 40000;

export class LiveSocket extends EventTarget {
  constructor(engagementId) {
    super();
    this.engagementId = engagementId;
    this.cursor = null;
    this.rosterVersion = null;
    this.backoff = 500;
    this.closedForGood = false;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const held = this.rosterVersion === null ? "" : `&roster=${this.rosterVersion}`;
    const after = this.cursor === null ? "" : `?after=${this.cursor}${held}`;
    const url = `${scheme}://${location.host}/api/v1/engagements/${this.engagementId}/live/ws${after}`;
    this.ws = new WebSocket(url);
    this.ws.addEventListener("open", () => {
      this.backoff = 500;
      this.emit("status", { connected: true });
    });
    this.ws.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    this.ws.addEventListener("close", (event) => this.closed(event));
    this.watch();
  }

  watch() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.ws.close(), SILENCE_LIMIT_MS);
  }

  receive(message) {
    this.watch();
    if (message.type === "hello") {
      this.cursor = message.cursor;
      this.rosterVersion = message.roster_version ?? null;
      this.emit("hello", message);
    } else if (message.type === "ping") {
      this.emit("ping", message);
    } else if (message.type === "roster") {
      this.rosterVersion = message.version ?? null;
      this.emit("roster", message);
    } else if (message.type === "media") {
      this.emit("media", message); // for me alone, just before my admission

    } else if (message.type === "document") {
      this.emit("document", message); // the text on screen, for those who may read it
    } else if (message.type === "events") {
      for (const envelope of message.events) {
        if (this.cursor !== null && envelope.seq <= this.cursor) continue;
        this.cursor = envelope.seq;
        this.emit("event", envelope);
      }
    }
  }

  closed(event) {
    clearTimeout(this.watchdog);
    const denied = event.code === 4401 || event.code === 4404;
    // A denial is final: the page must not promise a reconnection that will not come.
    this.emit("status", { connected: false, final: denied || this.closedForGood });
    if (this.closedForGood) return;
    if (denied) {
      this.emit("denied", { code: event.code, reason: event.reason });
      return;
    }
    setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 5000);
  }

  close() {
    this.closedForGood = true;
    this.ws?.close();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
