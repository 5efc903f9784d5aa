// Language channels through Janus: listening to a channel (a Streaming mountpoint, switched
// without renegotiation), speaking into a booth (an AudioBridge room), and the limiter that
// protects an interpreter's ears.

import { connectJanus, send } from "./media.js";

// A Janus session of its own (a booth or a listener lives beside the meeting's media);
// `onLost` hears of its failure with the cause as text.
function connect(serverUrl, iceServers, onLost) {
  const link = connectJanus(serverUrl, iceServers);
  link.lost = (cause) => onLost(String(cause));
  return link.ready;
}

function attach(janus, plugin, callbacks) {
  return new Promise((resolve, reject) => {
    janus.attach({ plugin, success: resolve, error: reject, ...callbacks });
  });
}

// Acoustic-shock protection: a brick-wall limiter in front of the interpreter's headphones.
// Loud, sudden sounds (a microphone knocked, feedback) are held to `ceilingDb` within a
// millisecond; speech at normal levels passes untouched.
export function shockLimiter(context, ceilingDb = -12) {
  const ratio = 20;
  const input = context.createGain();
  const limiter = context.createDynamicsCompressor();
  limiter.threshold.value = ceilingDb;
  limiter.knee.value = 0;
  limiter.ratio.value = ratio;
  limiter.attack.value = 0.001;
  limiter.release.value = 0.1;
  // The compressor adds make-up gain of its own (0.6 of the full-scale reduction, in dB, in
  // Chromium and Firefox): take it back, so that speech keeps its level and only peaks fall.
  const reductionDb = -(ceilingDb + (0 - ceilingDb) / ratio);
  const output = context.createGain();
  output.gain.value = 10 ** (-(0.6 * reductionDb) / 20);
  input.connect(limiter).connect(output);
  return { input, output, limiter };
}

// Listens to one language channel at a time; `listen(null)` is the floor (nothing here). The
// connection is opened ahead of the first choice (`prepare`) and paused while the floor is
// heard, so that every choice is a switch on a live connection, never a negotiation: heard as
// soon as the next packets arrive, and no audio travels while nobody listens.
export class ChannelListener extends EventTarget {
  constructor(access, element) {
    super();
    this.access = access; // {server_url, channels: [{language, mountpoint, pin}], ice_servers}
    this.element = element;
    this.current = null;
    this.watching = null;
    this.paused = false;
    this.stream = null;
    this.queue = Promise.resolve(); // one change at a time, each towards the latest wish
  }

  channel(language) {
    return this.access.channels.find((c) => c.language === language) ?? null;
  }

  prepare() {
    return this.listen(this.current);
  }

  listen(language) {
    this.current = language;
    this.element.muted = !(language && this.channel(language));
    const done = this.queue.then(() => this.apply());
    this.queue = done.catch(() => {});
    return done;
  }

  async apply() {
    const channel = this.current ? this.channel(this.current) : null;
    if (this.watching === null) {
      const first = channel ?? this.access.channels[0];
      if (!first) return;
      await this.watch(first);
    } else if (channel && this.watching !== channel.mountpoint) {
      // Same connection, another mountpoint: heard within a packet or two.
      await send(this.handle, { request: "switch", id: channel.mountpoint });
      this.watching = channel.mountpoint;
    }
    if (!channel && !this.paused) {
      await send(this.handle, { request: "pause" });
      this.paused = true;
    } else if (channel && this.paused) {
      await send(this.handle, { request: "start" });
      this.paused = false;
    }
  }

  async watch(channel) {
    this.janus ??= await connect(
      this.access.server_url, this.access.ice_servers, (cause) => this.emit("lost", { cause }));
    const started = new Promise((resolve, reject) => { this.started = { resolve, reject }; });
    this.handle = await attach(this.janus, "janus.plugin.streaming", {
      onmessage: (message, jsep) => this.onMessage(message, jsep),
      onremotetrack: (track, mid, on) => {
        if (!on || track.kind !== "audio") return;
        this.stream = new MediaStream([track]);
        this.element.srcObject = this.stream;
        this.element.play?.().catch(() => {});
        this.emit("stream", { stream: this.stream });
      },
    });
    this.watching = channel.mountpoint;
    this.paused = false;
    await send(this.handle, { request: "watch", id: channel.mountpoint, pin: channel.pin });
    await started;
  }

  onMessage(message, jsep) {
    const result = message.result ?? {};
    if (message.error || result.status === "stopped") {
      // Kicked (someone was removed and the PINs changed) or the channel was made again.
      const cause = message.error ?? "stopped";
      this.started?.reject(new Error(cause));
      this.emit("lost", { cause });
      return;
    }
    if (jsep) {
      this.handle.createAnswer({
        jsep,
        tracks: [{ type: "audio", capture: false, recv: true }],
        success: (answer) => send(this.handle, { request: "start" }, answer)
          .then(() => this.started?.resolve(), (cause) => this.started?.reject(cause)),
        error: (cause) => {
          this.started?.reject(new Error(String(cause)));
          this.emit("lost", { cause: String(cause) });
        },
      });
    }
  }

  stop() {
    try { this.janus?.destroy({ unload: true }); } catch { /* already gone */ }
    this.janus = null;
    this.handle = null;
    this.watching = null;
    this.paused = false;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// An interpreter's microphone into their seat: an AudioBridge room of their own, heard on the
// booth's channel only through a gate that Summitry opens while they are on the air (an
// unmute sent from here opens nothing). The page joins muted unless the log says it is on air.
export class BoothMicrophone extends EventTarget {
  constructor(booth, serverUrl, track, iceServers = []) {
    super();
    this.booth = booth; // {language, room_id, token, participant_id}
    this.serverUrl = serverUrl;
    this.iceServers = iceServers;
    this.track = track;
  }

  // The page follows the log too: Summitry's own mute or unmute finds nobody while the page
  // is still joining.
  setOnAir(onAir) {
    if (!this.joined || this.onAir === onAir) return;
    this.onAir = onAir;
    send(this.handle, { request: "configure", muted: !onAir }).catch(() => {});
  }

  async start(onAir) {
    this.onAir = onAir;
    this.janus = await connect(this.serverUrl, this.iceServers, (cause) => this.emit("lost", { cause }));
    const joined = new Promise((resolve, reject) => { this.onJoined = resolve; this.onRefused = reject; });
    this.handle = await attach(this.janus, "janus.plugin.audiobridge", {
      onmessage: (message, jsep) => this.onMessage(message, jsep),
      webrtcState: (up) => { this.up = up; this.emit("connected", { up }); },
    });
    await send(this.handle, {
      request: "join", room: this.booth.room_id, token: this.booth.token,
      id: this.booth.participant_id, display: "booth", muted: !onAir,
    });
    await joined;
  }

  onMessage(message, jsep) {
    if (jsep) this.handle.handleRemoteJsep({ jsep });
    if (message.audiobridge === "joined" && message.id === this.booth.participant_id) {
      this.handle.createOffer({
        // What comes back is the channel's own mix: the interpreter hears the floor directly.
        tracks: [{ type: "audio", capture: this.track, recv: false }],
        success: (offer) => send(this.handle, { request: "configure", muted: !this.onAir }, offer),
        error: (cause) => this.emit("lost", { cause: String(cause) }),
      });
      this.joined = true;
      this.onJoined?.();
    } else if (message.error) {
      this.onRefused?.(new Error(message.error));
      this.emit("lost", { cause: message.error });
    } else if (message.audiobridge === "destroyed" || message.audiobridge === "event" && message.kicked === this.booth.participant_id) {
      this.emit("lost", { cause: "the channel was made again" });
    }
  }

  stop() {
    try { this.janus?.destroy({ unload: true }); } catch { /* already gone */ }
    this.janus = null;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
