"""Interpretation through the API, on both databases: booths, channels, on air, relay.

The media side is proven with tones in tests/e2e/test_interpretation_audio.py; here the rules,
the record and the errors a user would meet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.engagements.models import Engagement, Role
from summitry.interpretation.models import LanguageChannel
from summitry.interpretation.operations import ChannelRoom, channel_rooms
from summitry.media.rooms import moderator_token

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


async def _meeting(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> tuple[str, dict[str, tuple[httpx.AsyncClient, int]]]:
    engagement = await make_engagement(
        ("CN", "DE", "EUCO"), languages=["en", "zh", "de", "fr"], agenda=["Statements"]
    )
    api = f"/api/v1/engagements/{engagement.id}"
    assert (await secretariat.post(f"{api}/live/enter")).status_code == 200
    people = {}
    for key, role, booth in (
        ("delegate", Role.HEAD_OF_DELEGATION, None),
        ("zh1", Role.INTERPRETER, "zh"),
        ("zh2", Role.INTERPRETER, "zh"),
        ("de", Role.INTERPRETER, "de"),
    ):
        client, attendee, _ = await make_invitee(engagement, role, "EUCO", booth)
        assert (await client.post(f"{api}/live/enter")).status_code == 200
        admitted = await secretariat.post(f"{api}/live/participants/{attendee.id}/admit")
        assert admitted.status_code == 200, admitted.text
        people[key] = (client, attendee.id)
    return api, people


async def _interpretation(client: httpx.AsyncClient, api: str) -> dict[str, Any]:
    state: dict[str, Any] = (await client.get(f"{api}/live")).json()["state"]["interpretation"]
    return state


async def test_a_listener_chooses_a_channel_and_finds_it_again_after_reconnecting(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    api, people = await _meeting(secretariat, make_engagement, make_invitee)
    delegate, me = people["delegate"]
    chose = await delegate.put(f"{api}/interpretation/channel", json={"channel": "de"})
    assert chose.status_code == 200, chose.text
    assert chose.json()["events"][0]["event"] == {
        "kind": "channel_chosen",
        "attendee_id": me,
        "channel": "de",
    }
    # A page that reconnects reads its channel from the snapshot.
    assert (await _interpretation(delegate, api))["channels"] == {str(me): "de"}
    # Choosing it again records nothing; the floor is null.
    again = await delegate.put(f"{api}/interpretation/channel", json={"channel": "de"})
    assert again.json()["events"] == []
    back = await delegate.put(f"{api}/interpretation/channel", json={"channel": None})
    assert back.status_code == 200
    assert (await _interpretation(delegate, api))["channels"] == {}


async def test_a_channel_that_no_booth_serves_is_refused_and_changes_nothing(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    api, people = await _meeting(secretariat, make_engagement, make_invitee)
    delegate, _ = people["delegate"]
    # French is a working language, but no interpreter works into it.
    refused = await delegate.put(f"{api}/interpretation/channel", json={"channel": "fr"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["message"] == "there is no 'fr' channel; choose the floor or one of: zh, de"
    assert (await _interpretation(delegate, api))["channels"] == {}


async def test_one_interpreter_of_a_booth_is_on_the_air_and_hands_over_to_the_partner(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    api, people = await _meeting(secretariat, make_engagement, make_invitee)
    (zh1, first), (zh2, second) = people["zh1"], people["zh2"]
    on = await zh1.post(f"{api}/interpretation/on-air", json={"on_air": True})
    assert on.status_code == 200, on.text
    assert (await _interpretation(zh1, api))["live"] == {"zh": first}

    # The partner takes over: one event, which names whom it took over from.
    took = await zh2.post(f"{api}/interpretation/on-air", json={"on_air": True})
    assert took.json()["events"][0]["event"] == {
        "kind": "interpreter_live",
        "booth": "zh",
        "attendee_id": second,
        "handover_from": first,
    }
    # Only the one on the air hands over, and only to a partner of the same booth.
    refused = await zh1.post(f"{api}/interpretation/hand-over", json={"to": second})
    assert refused.status_code == 409
    assert "you are not on the air" in refused.json()["error"]["message"]
    wrong = await zh2.post(f"{api}/interpretation/hand-over", json={"to": people["de"][1]})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == "hand over to a partner in the Chinese booth"
    handed = await zh2.post(f"{api}/interpretation/hand-over", json={"to": first})
    assert handed.status_code == 200, handed.text
    assert (await _interpretation(zh1, api))["live"] == {"zh": first}

    # Going off the air leaves the booth silent; leaving the meeting does too.
    await zh1.post(f"{api}/interpretation/on-air", json={"on_air": False})
    assert (await _interpretation(zh1, api))["live"] == {}
    await zh2.post(f"{api}/interpretation/on-air", json={"on_air": True})
    await zh2.post(f"{api}/live/leave")
    assert (await _interpretation(zh1, api))["live"] == {}


async def test_relay_is_taken_from_another_booth_only(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    api, people = await _meeting(secretariat, make_engagement, make_invitee)
    de, who = people["de"]
    own = await de.put(f"{api}/interpretation/relay", json={"booth": "de"})
    assert own.status_code == 422
    assert own.json()["error"]["message"] == (
        "take relay from another booth of this engagement: zh"
    )
    taken = await de.put(f"{api}/interpretation/relay", json={"booth": "zh"})
    assert taken.status_code == 200
    assert (await _interpretation(de, api))["relays"] == {str(who): "zh"}
    # A delegate has no booth to take relay for.
    delegate, _ = people["delegate"]
    refused = await delegate.put(f"{api}/interpretation/relay", json={"booth": "zh"})
    assert refused.status_code == 403


async def test_the_booth_asks_for_slower_speech_and_the_chair_sets_the_floor_level(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    api, people = await _meeting(secretariat, make_engagement, make_invitee)
    asked = await people["zh1"][0].post(f"{api}/interpretation/slow-down")
    assert asked.status_code == 200
    state = await _interpretation(secretariat, api)
    assert state["slow_down"]["booth"] == "zh"

    too_loud = await secretariat.put(f"{api}/interpretation/floor-level", json={"percent": 101})
    assert too_loud.status_code == 422
    assert (await _interpretation(secretariat, api))["floor_level"] is None
    delegate = people["delegate"][0]
    assert (
        await delegate.put(f"{api}/interpretation/floor-level", json={"percent": 30})
    ).status_code == 403
    set_ = await secretariat.put(f"{api}/interpretation/floor-level", json={"percent": 25})
    assert set_.status_code == 200
    assert (await _interpretation(secretariat, api))["floor_level"] == 25


async def test_a_speaker_declares_the_language_they_speak(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    api, people = await _meeting(secretariat, make_engagement, make_invitee)
    delegate, who = people["delegate"]
    wrong = await delegate.put(f"{api}/interpretation/language", json={"language": "xx-QQ"})
    assert wrong.status_code == 422
    assert "is not a language code" in wrong.json()["error"]["message"]
    declared = await delegate.put(f"{api}/interpretation/language", json={"language": "zh"})
    assert declared.status_code == 200
    assert (await _interpretation(delegate, api))["languages"] == {str(who): "zh"}
    interpreter = people["de"][0]
    refused = await interpreter.put(f"{api}/interpretation/language", json={"language": "de"})
    assert refused.status_code == 403


async def test_booths_are_for_interpreters_into_a_working_language(
    secretariat: httpx.AsyncClient, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    engagement = await make_engagement(("CN", "DE", "EUCO"), languages=["en", "zh"])
    api = f"/api/v1/engagements/{engagement.id}"
    person = await secretariat.post(
        "/api/v1/delegations/EUCO/people", json={"name": "Ms Anna Weber", "office": "Interpreter"}
    )
    person_id = person.json()["id"]
    not_working = await secretariat.post(
        f"{api}/attendees", json={"person_id": person_id, "role": "interpreter", "booth": "fr"}
    )
    assert not_working.status_code == 422
    assert not_working.json()["error"]["message"] == (
        "a booth interprets into a working language of the engagement (en, zh); "
        "add fr to its languages first"
    )
    delegate = await secretariat.post(
        f"{api}/attendees", json={"person_id": person_id, "role": "delegate", "booth": "zh"}
    )
    assert delegate.status_code == 422
    assert delegate.json()["error"]["message"] == "only an interpreter works in a booth"
    made = await secretariat.post(
        f"{api}/attendees", json={"person_id": person_id, "role": "interpreter", "booth": "zh"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["booth"] == "zh"


async def test_channel_rooms_are_the_engagements_own_in_the_order_of_their_languages(
    db: AsyncSession, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    # What the telephone's keypad numbers *2 1, *2 2, ... and enters with the server's token.
    engagement = await make_engagement()
    other = await make_engagement()
    for room_id, language in ((9_100_003, "fr"), (9_100_001, "ar"), (9_100_002, "de")):
        db.add(LanguageChannel(engagement_id=engagement.id, language=language,
                               janus_room_id=room_id, secret=f"secret {language}"))  # fmt: skip
    db.add(LanguageChannel(engagement_id=other.id, language="en", janus_room_id=9_100_004,
                           secret="secret en"))  # fmt: skip
    await db.commit()
    assert await channel_rooms(db, engagement.id) == [
        ChannelRoom("ar", 9_100_001, moderator_token("secret ar")),
        ChannelRoom("de", 9_100_002, moderator_token("secret de")),
        ChannelRoom("fr", 9_100_003, moderator_token("secret fr")),
    ]
    assert await channel_rooms(db, 0) == []
