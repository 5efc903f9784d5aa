// Media through Janus with janus.js: publish my camera and microphone with my personal token,
// and receive everyone else's on one multistream subscription.

import Janus from "/static/vendor/janus-gateway/npm/dist/janus.es.js";

let initialised = null;

function init() {
  initialised ??= new Promise((resolve) => Janus.init({ debug: false, callback: resolve }));
  return initialised;
}

export function send(handle, message, jsep) {
  return new Promise((resolve, reject) => {
    handle.send({ message, jsep, success: resolve, error: reject });
  });
}

// A session with Janus, opened ahead of need (in the lobby: the URL is public) so that the
// join after admission goes straight to the room. Callbacks are the MediaSession's once it
// takes the link over. The STUN and TURN servers come with the access, after admission:
// janus.js keeps the very array it is given and reads it whenever it makes a peer
// connection, so useIceServers fills it in place before the first one is made.
export function connectJanus(serverUrl, iceServers = []) {
  const link = { serverUrl, dead: false, lost: null, closed: null, iceServers: [] };
  useIceServers(link, iceServers);
  link.ready = init().then(() => new Promise((resolve, reject) => {
    link.janus = new Janus({
      server: serverUrl,
      iceServers: link.iceServers,
      success: () => resolve(link.janus),
      error: (cause) => { link.dead = true; reject(cause); link.lost?.(cause); },
      destroyed: () => { link.dead = true; link.closed?.(); },
    });
  }));
  link.ready.catch(() => {}); // nobody may be waiting yet; whoever takes it over sees it
  return link;
}

// The servers of an access ({urls, username, credential}: TURN credentials are this person's
// own and short-lived, so each join uses those of its own access).
export function useIceServers(link, servers) {
  const given = (servers ?? []).map(({ urls, username, credential }) =>
    username ? { urls, username, credential } : { urls });
  link.iceServers.splice(0, link.iceServers.length, ...given);
}

export class MediaSession extends EventTarget {
  // access: {server_url, room_id, token, feed_id, ice_servers}; local: the MediaStream to publish, or null
  // to enter only to receive (an interpreter hears the floor but never speaks into it);
  // link: a connectJanus() made earlier, used if it is to the same server and still alive.
  constructor(access, local, attendeeId, link = null) {
    super();
    this.access = access;
    this.local = local;
    this.attendeeId = attendeeId;
    this.link = link;
    this.feeds = new Map(); // feed id -> attendee id (from the publisher's display)
    this.streams = new Map(); // feed id -> MediaStream of what we receive from it
    this.midToFeed = new Map();
    this.subscribed = new Set();
  }

  async start() {
    const fit = this.link && !this.link.dead && this.link.serverUrl === this.access.server_url;
    if (this.link && !fit) try { this.link.janus?.destroy({ unload: true }); } catch { /* gone */ }
    const link = fit ? this.link : connectJanus(this.access.server_url);
    useIceServers(link, this.access.ice_servers);
    link.lost = (cause) => this.emit("lost", { cause: String(cause) });
    link.closed = () => this.emit("closed", {});
    this.janus = await link.ready;
    await this.publish();
  }

  attach(callbacks) {
    return new Promise((resolve, reject) => {
      this.janus.attach({
        plugin: "janus.plugin.videoroom",
        success: resolve,
        error: reject,
        ...callbacks,
      });
    });
  }

  async publish() {
    const joined = new Promise((resolve, reject) => { this.onJoined = resolve; this.onRefused = reject; });
    this.publisher = await this.attach({
      onmessage: (message, jsep) => this.onPublisherMessage(message, jsep),
      webrtcState: (up) => this.emit("publishing", { up }),
    });
    await send(this.publisher, {
      request: "join", ptype: "publisher", room: this.access.room_id,
      id: this.access.feed_id, display: String(this.attendeeId), token: this.access.token,
    });
    await joined;
  }

  onPublisherMessage(message, jsep) {
    if (jsep) this.publisher.handleRemoteJsep({ jsep });
    if (message.videoroom === "joined") {
      this.privateId = message.private_id;
      if (this.local) this.offer();
      this.onJoined();
      this.learn(message.publishers ?? []);
    } else if (message.videoroom === "talking" || message.videoroom === "stopped-talking") {
      this.emit("talking", { feed: message.id, talking: message.videoroom === "talking" });
    } else if (message.videoroom === "event") {
      if (message.error) {
        this.onRefused?.(new Error(message.error));
        this.emit("refused", { code: message.error_code, reason: message.error });
        return;
      }
      if (message.publishers) this.learn(message.publishers);
      const gone = message.leaving ?? message.unpublished;
      if (gone && gone !== "ok") this.forget(gone);
      if (message.leaving === "ok" || message.reason === "kicked") this.emit("kicked", {});
    } else if (message.videoroom === "destroyed") {
      this.emit("lost", { cause: "room destroyed" });
    }
  }

  offer() {
    const tracks = [];
    for (const track of this.local.getTracks()) {
      tracks.push({ type: track.kind, capture: track, recv: false });
    }
    this.publisher.createOffer({
      tracks,
      success: (jsep) => send(this.publisher, { request: "configure", audio: true, video: true }, jsep),
      error: (cause) => this.emit("refused", { reason: String(cause) }),
    });
  }

  learn(publishers) {
    const fresh = [];
    for (const p of publishers) {
      if (p.id === this.access.feed_id) continue;
      this.feeds.set(p.id, Number(p.display));
      if (!this.subscribed.has(p.id)) fresh.push(p.id);
    }
    if (fresh.length) this.subscribe(fresh);
  }

  // One subscription at a time: publishers announced while the subscriber handle is still
  // being made (several people admitted at once) must join it, not make a second one.
  subscribe(feedIds) {
    for (const id of feedIds) this.subscribed.add(id);
    this.subscribing = (this.subscribing ?? Promise.resolve())
      .then(() => this.subscribeNow(feedIds))
      .catch((cause) => this.emit("refused", { reason: String(cause) }));
    return this.subscribing;
  }

  async subscribeNow(feedIds) {
    const streams = feedIds.map((feed) => ({ feed }));
    if (!this.subscriber) {
      this.subscriber = await this.attach({
        onmessage: (message, jsep) => this.onSubscriberMessage(message, jsep),
        onremotetrack: (track, mid, on) => this.onRemoteTrack(track, mid, on),
      });
      await send(this.subscriber, {
        request: "join", ptype: "subscriber", room: this.access.room_id, streams,
        private_id: this.privateId, token: this.access.token, use_msid: false,
      });
    } else {
      await send(this.subscriber, { request: "subscribe", streams });
    }
  }

  onSubscriberMessage(message, jsep) {
    if (message.streams) {
      for (const s of message.streams) {
        if (s.feed_id !== undefined) this.midToFeed.set(s.mid, s.feed_id);
      }
    }
    if (message.error) this.emit("refused", { code: message.error_code, reason: message.error });
    if (jsep) {
      this.subscriber.createAnswer({
        jsep,
        tracks: [{ type: "data" }],
        success: (answer) => send(this.subscriber, { request: "start" }, answer),
        error: (cause) => this.emit("refused", { reason: String(cause) }),
      });
    }
  }

  onRemoteTrack(track, mid, on) {
    const feed = this.midToFeed.get(mid);
    if (feed === undefined) return;
    if (!this.streams.has(feed)) this.streams.set(feed, new MediaStream());
    const stream = this.streams.get(feed);
    if (on) {
      if (!stream.getTracks().includes(track)) {
        for (const old of stream.getTracks().filter((t) => t.kind === track.kind)) stream.removeTrack(old);
        stream.addTrack(track);
      }
    } else {
      stream.removeTrack(track);
    }
    this.emit("stream", { feed, attendee: this.feeds.get(feed), stream });
  }

  forget(feed) {
    this.subscribed.delete(feed);
    this.streams.delete(feed);
    const attendee = this.feeds.get(feed);
    this.feeds.delete(feed);
    if (this.subscriber) send(this.subscriber, { request: "unsubscribe", streams: [{ feed }] }).catch(() => {});
    this.emit("gone", { feed, attendee });
  }

  stop() {
    try { this.janus?.destroy({ unload: true }); } catch { /* already gone */ }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
