"""The recording's switch through the API, on both databases: who may turn it, and what
everyone is told.

Forty switches at once against a real server: tests/integration/test_concurrency.py. Janus's
side (tones in, files out, across crashes): tests/e2e/test_recordings.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from summitry.engagements.models import Engagement, Role

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


async def _recording(client: httpx.AsyncClient, api: str) -> dict[str, Any]:
    state: dict[str, Any] = (await client.get(f"{api}/live")).json()["state"]["recording"]
    return state


async def _kinds(client: httpx.AsyncClient, api: str) -> list[str]:
    events = (await client.get(f"{api}/live/events")).json()
    return [e["event"]["kind"] for e in events if e["event"]["kind"].startswith("recording_")]


async def test_only_the_secretariat_turns_the_recording_and_everyone_is_told(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement(("CN", "DE"))
    api = f"/api/v1/engagements/{engagement.id}"
    assert (await secretariat.post(f"{api}/live/enter")).status_code == 200
    delegate, _, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "CN")
    # No choice made: the engagement's rule applies (it is not confidential: recorded).
    assert await _recording(delegate, api) == {"on": None, "by": None}

    refused = await delegate.put(f"{api}/recording", json={"on": False})
    assert refused.status_code == 403
    assert "only the secretariat" in refused.json()["error"]["message"]
    for bad in ({"on": "perhaps"}, {}, {"on": True, "also": 1}):
        answer = await secretariat.put(f"{api}/recording", json=bad)
        assert answer.status_code == 422, (bad, answer.text)
    assert await _kinds(secretariat, api) == []  # nothing refused was recorded

    stopped = await secretariat.put(f"{api}/recording", json={"on": False})
    assert stopped.status_code == 200, stopped.text
    (event,) = stopped.json()["events"]
    assert event["event"]["kind"] == "recording_stopped"
    assert await _recording(delegate, api) == {"on": False, "by": event["event"]["by"]}
    again = await secretariat.put(f"{api}/recording", json={"on": False})
    assert again.json()["events"] == []
    started = await secretariat.put(f"{api}/recording", json={"on": True})
    assert started.json()["events"][0]["event"]["kind"] == "recording_started"
    assert (await _recording(delegate, api))["on"] is True

    # A delegation hears the recordings (none yet); nothing is recorded once it has ended.
    listed = await delegate.get(f"{api}/recordings")
    assert listed.status_code == 200
    assert listed.json() == []
    assert (await secretariat.post(f"{api}/live/end")).status_code == 200
    late = await secretariat.put(f"{api}/recording", json={"on": False})
    assert late.status_code == 409
    assert "ended" in late.json()["error"]["message"]
    assert await _kinds(secretariat, api) == ["recording_stopped", "recording_started"]
