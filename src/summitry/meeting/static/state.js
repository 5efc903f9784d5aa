// The meeting state, folded from live events exactly as the server folds it (live/state.py).

export class MeetingState {
  constructor(snapshot) {
    this.seq = snapshot.seq;
    this.locked = snapshot.locked;
    this.ended = snapshot.ended ?? false;
    this.mediaEpoch = snapshot.media_epoch;
    this.participants = new Map(
      Object.entries(snapshot.participants).map(([id, p]) => [Number(id), { ...p }]),
    );
    this.floor = new FloorState(snapshot.floor);
    this.interpretation = new InterpretationState(snapshot.interpretation);
    this.recording = { on: snapshot.recording?.on ?? null, by: snapshot.recording?.by ?? null };
    this.alarms = (snapshot.alarms ?? []).map((a) => ({ ...a }));
  }

  person(id) {
    if (!this.participants.has(id)) {
      this.participants.set(id, { presence: "invited", muted: true, camera: true, channel: "browser" });
    }
    return this.participants.get(id);
  }

  presenceOf(id) {
    return this.participants.get(id)?.presence ?? "invited";
  }

  // The snapshot this state stands for, in the shape of the server's MeetingState.as_json().
  asJson() {
    return {
      seq: this.seq,
      locked: this.locked,
      ended: this.ended,
      media_epoch: this.mediaEpoch,
      participants: Object.fromEntries([...this.participants].map(([id, p]) => [String(id), { ...p }])),
      floor: this.floor.asJson(),
      interpretation: this.interpretation.asJson(),
      recording: { ...this.recording },
      alarms: this.alarms.map((a) => ({ ...a })),
    };
  }

  apply(envelope) {
    if (envelope.seq !== this.seq + 1) {
      throw new Error(`event ${envelope.seq} cannot follow ${this.seq}`);
    }
    this.seq = envelope.seq;
    const e = envelope.event;
    switch (e.kind) {
      case "room_locked": this.locked = e.locked; break;
      case "meeting_ended": this.ended = true; break;
      case "media_restored": this.mediaEpoch += 1; break;
      case "lobby_entered":
        Object.assign(this.person(e.attendee_id), { presence: "lobby", channel: e.channel ?? "browser" });
        break;
      case "admitted": this.person(e.attendee_id).presence = "admitted"; break;
      case "turned_away": this.person(e.attendee_id).presence = "turned_away"; break;
      case "left":
        Object.assign(this.person(e.attendee_id), { presence: "left", muted: true });
        this.interpretation.gone(e.attendee_id);
        break;
      case "removed":
        Object.assign(this.person(e.attendee_id), { presence: "removed", muted: true });
        this.interpretation.gone(e.attendee_id);
        break;
      case "microphone_set": this.person(e.attendee_id).muted = e.muted; break;
      case "camera_set": this.person(e.attendee_id).camera = e.on; break;
      // Recorded when not confidential until the secretariat decides (records/recording_state.py).
      case "recording_started": this.recording = { on: true, by: e.by }; break;
      case "recording_stopped": this.recording = { on: false, by: e.by }; break;
      case "unexpected_participant":
        this.alarms.push({
          kind: e.kind, at: envelope.at, room: e.room, participant_id: e.participant_id, display: e.display,
        });
        break;
      default:
        this.floor.apply(e, envelope.at);
        this.interpretation.apply(e, envelope.at);
        break;
    }
  }
}

// Interpretation, folded as interpretation/state.py folds it.
export class InterpretationState {
  constructor(snapshot) {
    const numbered = (o) => new Map(Object.entries(o ?? {}).map(([k, v]) => [Number(k), v]));
    this.channels = numbered(snapshot?.channels);
    this.live = new Map(Object.entries(snapshot?.live ?? {}));
    this.relays = numbered(snapshot?.relays);
    this.languages = numbered(snapshot?.languages);
    this.floorLevel = snapshot?.floor_level ?? null;
    this.slowDown = snapshot?.slow_down ?? null;
  }

  asJson() {
    const object = (map) => Object.fromEntries([...map].map(([k, v]) => [String(k), v]));
    return {
      channels: object(this.channels),
      live: object(this.live),
      relays: object(this.relays),
      languages: object(this.languages),
      floor_level: this.floorLevel,
      slow_down: this.slowDown ? { ...this.slowDown } : null,
    };
  }

  gone(who) {
    for (const [booth, id] of this.live) if (id === who) this.live.delete(booth);
    this.relays.delete(who);
  }

  apply(e, at) {
    const set = (map, key, value) => (value === null ? map.delete(key) : map.set(key, value));
    switch (e.kind) {
      case "channel_chosen": set(this.channels, e.attendee_id, e.channel); break;
      case "interpreter_live": set(this.live, e.booth, e.attendee_id); break;
      case "relay_taken": set(this.relays, e.attendee_id, e.booth); break;
      case "slow_down_asked": this.slowDown = { booth: e.booth, at }; break;
      case "floor_language_declared": this.languages.set(e.attendee_id, e.language); break;
      case "floor_level_set": this.floorLevel = e.percent; break;
      default: break;
    }
  }
}

// The grace after the time, before the automatic mute (floor/timing.py's SpeakingTime).
const GRACE_S = 5;

// The turn with its mute_at, which the server derives from the rest: a turn given or extended
// here must carry it as the server's snapshot would, not keep a stale one.
function withMuteAt(turn) {
  const limited = turn.limit_s !== null && turn.limit_s !== undefined;
  const ms = Date.parse(turn.started_at) + (turn.limit_s + turn.extensions + GRACE_S) * 1000;
  return { ...turn, mute_at: limited ? new Date(ms).toISOString() : null };
}

// The floor, folded as floor/state.py folds it; the server has already checked every rule.
export class FloorState {
  constructor(snapshot) {
    this.item = snapshot.item;
    this.itemTitle = snapshot.item_title;
    this.limit = snapshot.limit_s;
    this.closed = snapshot.closed;
    this.queue = snapshot.queue.map((r) => ({ ...r }));
    this.turn = snapshot.turn ? { ...snapshot.turn } : null;
    this.rollCall = snapshot.roll_call;
    this.present = { ...snapshot.present };
  }

  asJson() {
    return {
      item: this.item,
      item_title: this.itemTitle,
      limit_s: this.limit,
      closed: this.closed,
      queue: this.queue.map((r) => ({ ...r })),
      turn: this.turn ? { ...this.turn } : null,
      roll_call: this.rollCall === null ? null : [...this.rollCall],
      present: { ...this.present },
    };
  }

  insert(request) {
    let at = this.queue.length;
    if (request.kind === "point_of_order") {
      at = this.queue.findIndex((r) => r.kind !== "point_of_order");
      if (at < 0) at = this.queue.length;
    } else if (request.kind === "statement") {
      let last = -1;
      this.queue.forEach((r, i) => { if (r.kind !== "right_of_reply") last = i; });
      at = last + 1;
    }
    this.queue.splice(at, 0, request);
  }

  apply(e, at) {
    switch (e.kind) {
      case "item_opened":
        Object.assign(this, { item: e.item, itemTitle: e.title, limit: e.limit_s, closed: false });
        break;
      case "item_closed":
        Object.assign(this, { item: null, itemTitle: null, limit: null, closed: false, queue: [], turn: null });
        break;
      case "floor_requested":
        this.insert({ id: e.request_id, delegation: e.delegation, attendee_id: e.attendee_id,
          kind: e.request_kind, on_behalf_of: e.on_behalf_of });
        break;
      case "floor_request_withdrawn":
      case "floor_request_skipped":
        this.queue = this.queue.filter((r) => r.id !== e.request_id);
        break;
      case "speakers_reordered": {
        const byId = new Map(this.queue.map((r) => [r.id, r]));
        this.queue = e.request_ids.map((id) => byId.get(id));
        break;
      }
      case "floor_given": {
        const request = this.queue.find((r) => r.id === e.request_id);
        this.queue = this.queue.filter((r) => r.id !== e.request_id);
        this.turn = withMuteAt({ ...request, started_at: at, limit_s: this.limit, extensions: 0 });
        break;
      }
      case "floor_released": this.turn = null; break;
      case "time_extended":
        if (this.turn) this.turn = withMuteAt({ ...this.turn, extensions: this.turn.extensions + e.seconds });
        break;
      case "speakers_list_closed": this.closed = e.closed; break;
      case "roll_call_opened": this.rollCall = e.order; this.present = {}; break;
      case "roll_call_answered": this.present[e.delegation] = e.present; break;
      case "roll_call_closed": this.rollCall = null; break;
      default: break;
    }
  }
}

// Where a turn stands, as floor/timing.py says: speaking, warning, grace, expired.
export function turnClock(turn, nowMs, warningS = 30, graceS = 5) {
  if (!turn || turn.limit_s === null || turn.limit_s === undefined) return null;
  const ends = Date.parse(turn.started_at) + (turn.limit_s + turn.extensions) * 1000;
  const remaining = (ends - nowMs) / 1000;
  let phase = "speaking";
  if (remaining <= -graceS) phase = "expired";
  else if (remaining <= 0) phase = "grace";
  else if (remaining <= warningS) phase = "warning";
  return { remaining, phase };
}
