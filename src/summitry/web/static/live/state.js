// The meeting state, folded from live events exactly as the server folds it (live/state.py).

export class MeetingState {
  constructor(snapshot) {
    this.seq = snapshot.seq;
    this.locked = snapshot.locked;
    this.mediaEpoch = snapshot.media_epoch;
    this.participants = new Map(
      Object.entries(snapshot.participants).map(([id, p]) => [Number(id), { ...p }]),
    );
  }

  person(id) {
    if (!this.participants.has(id)) {
      this.participants.set(id, { presence: "invited", muted: true, camera: true });
    }
    return this.participants.get(id);
  }

  presenceOf(id) {
    return this.participants.get(id)?.presence ?? "invited";
  }

  apply(envelope) {
    if (envelope.seq !== this.seq + 1) {
      throw new Error(`event ${envelope.seq} cannot follow ${this.seq}`);
    }
    this.seq = envelope.seq;
    const e = envelope.event;
    switch (e.kind) {
      case "room_locked": this.locked = e.locked; break;
      case "media_restored": this.mediaEpoch += 1; break;
      case "lobby_entered": this.person(e.attendee_id).presence = "lobby"; break;
      case "admitted": this.person(e.attendee_id).presence = "admitted"; break;
      case "turned_away": this.person(e.attendee_id).presence = "turned_away"; break;
      case "left": Object.assign(this.person(e.attendee_id), { presence: "left", muted: true }); break;
      case "removed": Object.assign(this.person(e.attendee_id), { presence: "removed", muted: true }); break;
      case "microphone_set": this.person(e.attendee_id).muted = e.muted; break;
      case "camera_set": this.person(e.attendee_id).camera = e.on; break;
      default: break;
    }
  }
}
