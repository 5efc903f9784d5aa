// The page's fold against the server's: each fixture (made by generate.py from the Python fold)
// is replayed through meeting/static/state.js, which must reach the server's snapshot.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { MeetingState } from "../../src/summitry/meeting/static/state.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const INSTANTS = new Set(["at", "started_at", "mute_at"]);

// The server writes its instants with "+00:00" and the events carry them with "Z" (pydantic),
// which the page keeps as they come: the contract is the instant, so both are compared as one.
function instants(value, key = null) {
  if (Array.isArray(value)) return value.map((v) => instants(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, instants(v, k)]));
  }
  if (INSTANTS.has(key) && typeof value === "string") {
    const ms = Date.parse(value);
    assert.ok(!Number.isNaN(ms), `${key}: ${value} is not an instant`);
    return new Date(ms).toISOString();
  }
  return value;
}

const names = readdirSync(FIXTURES).filter((n) => n.endsWith(".json")).sort();

test("there are fixtures to check", () => {
  assert.ok(names.length > 0, "no fixtures: run python -m tests.contract.generate");
});

for (const name of names) {
  const fixture = JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));

  test(`${fixture.name}: the snapshot is read back as it was`, () => {
    assert.deepEqual(instants(new MeetingState(fixture.initial).asJson()), instants(fixture.initial));
  });

  test(`${fixture.name}: ${fixture.about}`, () => {
    const state = new MeetingState(fixture.initial);
    for (const envelope of fixture.events) state.apply(envelope);
    assert.deepEqual(instants(state.asJson()), instants(fixture.expected));
  });
}
