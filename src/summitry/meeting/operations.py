"""What happens in a live meeting: each check first, then the event, in one transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import writes
from summitry.engagements.attendance import attendee_in
from summitry.engagements.models import Attendee, Engagement, EngagementStatus, Role
from summitry.engagements.operations import engagement_row, get_engagement, set_status
from summitry.engagements.secretariat import recorded_secretary, secretariat_attendee
from summitry.errors import Conflict, Forbidden, NotFound
from summitry.log.committed import tell_after_commit
from summitry.log.events import Event, EventEnvelope
from summitry.meeting.events import (
    Admitted,
    CameraSet,
    Channel,
    Left,
    LobbyEntered,
    MicrophoneSet,
    Removed,
    RoomLocked,
    TurnedAway,
)
from summitry.meeting.folding import folded_state
from summitry.meeting.grants import grant_media, grant_of, mute_on_media, revoke_media
from summitry.meeting.media_port import MediaAccess, MeetingMedia, ice_label
from summitry.meeting.rules import check_opening
from summitry.meeting.state import MeetingState, Presence
from summitry.security.principals import (
    Invitee,
    Principal,
    Secretary,
    require_engagement_access,
    require_secretariat,
)
from summitry.security.visibility import may_see_details


@dataclass(frozen=True)
class Participant:
    """The person behind a principal in one engagement, and that engagement (loaded whole,
    with the person among its attendees; from ``acting_as``, its row alone)."""

    attendee: Attendee
    is_secretariat: bool
    engagement: Engagement


async def meeting_state(db: AsyncSession, engagement_id: int) -> MeetingState:
    """The current state: the whole log folded (``folding`` keeps it folded as far as it was).

    In a transaction that will write, the engagement's log is held first: the state a change
    is checked against is then the state it is appended to, whoever else acts at that moment.
    """
    if not writes(db):
        return await folded_state(db, engagement_id)
    await log.hold(db, engagement_id)
    state = await folded_state(db, engagement_id)
    if state.ended:
        raise Conflict("this meeting has ended; its record is closed")
    return state


async def require_follower(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    engagement: Engagement | None = None,
) -> Principal:
    """The principal if they may follow the meeting: not the press where details are withheld
    (who is in the room is a detail), and not an outsider, who learns nothing. ``engagement``:
    its row, if the caller has read it already."""
    who = require_engagement_access(principal, engagement_id)
    if isinstance(who, Invitee):
        require_details(who, engagement or await engagement_row(db, engagement_id))
    return who


def may_follow(who: Invitee, engagement: Engagement) -> bool:
    """Whether an invitee with access to the engagement may see who is in its meeting."""
    return may_see_details(who, engagement)


def require_details(who: Invitee, engagement: Engagement) -> None:
    """Refuse an invitee who may not see who is in the meeting (the press, if confidential)."""
    if not may_follow(who, engagement):
        raise Forbidden("the press follow the meetings of public engagements only")


async def participant_of(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> Participant:
    """The attendee a principal acts as; a secretary is recorded as one on first entry."""
    who = require_engagement_access(principal, engagement_id)
    engagement = await get_engagement(db, engagement_id)  # once: 1,000 attendees are a cost
    if isinstance(who, Invitee):
        require_details(who, engagement)
        grant = who.grant_for(engagement_id)
        attendee = next(
            a for a in engagement.attendees if grant and a.id and a.person_id == grant.person_id
        )
        return Participant(attendee, False, engagement)
    assert isinstance(who, Secretary)  # noqa: S101 - the union has two members
    return Participant(
        await secretariat_attendee(db, engagement, who.name, who.email), True, engagement
    )


async def acting_as(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> Participant:
    """``participant_of`` for what a meeting does all the time (the floor changing hands):
    the engagement is its row alone, its attendees not loaded, and the attendee is read on
    its own with person and delegation. Loading 1,000 attendees as objects took 40-90 ms a
    request, and left cycles for the garbage collector, whose full passes stopped the server
    for a quarter of a second. A secretary not yet recorded is recorded by ``participant_of``."""
    who = require_engagement_access(principal, engagement_id)
    # The attendee's query brings the engagement's row: ``engagement_row`` then finds it
    # without one of its own (each statement costs the floor's request half a millisecond).
    if isinstance(who, Invitee):
        grant = who.grant_for(engagement_id)
        found = (
            await attendee_in(db, engagement_id, person_id=grant.person_id, with_engagement=True)
            if grant
            else None
        )
        engagement = await engagement_row(db, engagement_id)
        require_details(who, engagement)
        if found is None:
            raise NotFound("you are not among the people of this engagement")
        return Participant(found, False, engagement)
    assert isinstance(who, Secretary)  # noqa: S101 - the union has two members
    found = await recorded_secretary(db, engagement_id, who.name)
    if found is None:
        return await participant_of(db, principal, engagement_id)
    return Participant(found, True, await engagement_row(db, engagement_id))


def _require_open(engagement: Engagement) -> None:
    if engagement.status in (EngagementStatus.ENDED, EngagementStatus.CANCELLED):
        raise Conflict(f"this engagement is {engagement.status.value}; its meeting is closed")


async def append_all(
    db: AsyncSession, engagement_id: int, bodies: list[Event]
) -> list[EventEnvelope]:
    """Append and commit; a lost race is not the caller's concern (``contention`` retries)."""
    envelopes = await log.append_all(db, engagement_id, bodies)
    await db.commit()
    return envelopes


async def enter(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    media: MeetingMedia | None,
    channel: Channel = "browser",
) -> list[EventEnvelope]:
    """Come to the meeting: invitees wait in the lobby, the secretariat goes straight in.

    ``channel`` says how: the telephone gateway enters callers with ``telephone``.
    """
    me = await participant_of(db, principal, engagement_id)
    engagement = me.engagement
    _require_open(engagement)
    state = await meeting_state(db, engagement_id)
    if engagement.status is EngagementStatus.PLANNED:
        await set_status(db, engagement, EngagementStatus.LIVE)  # the meeting is running
    presence = state.presence_of(me.attendee.id)
    if presence is Presence.REMOVED:
        raise Forbidden("you were removed from this meeting; contact the secretariat")
    if presence in (Presence.LOBBY, Presence.ADMITTED):
        return []
    if me.is_secretariat:
        await grant_media(db, engagement_id, me.attendee.id, media)
        return await append_all(
            db,
            engagement_id,
            [
                LobbyEntered(attendee_id=me.attendee.id, channel=channel),
                Admitted(attendee_id=me.attendee.id, by="secretariat"),
            ],
        )
    if state.locked:
        raise Forbidden("the secretariat has locked this meeting; ask them to let you in")
    return await append_all(
        db, engagement_id, [LobbyEntered(attendee_id=me.attendee.id, channel=channel)]
    )


async def _secretary_name(principal: Principal | None) -> str:
    return require_secretariat(principal).name


async def _waiting_in_lobby(db: AsyncSession, engagement_id: int, attendee_id: int) -> None:
    state = await meeting_state(db, engagement_id)
    if state.presence_of(attendee_id) is not Presence.LOBBY:
        raise Conflict("this person is not waiting in the lobby")


async def admit(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    attendee_id: int,
    media: MeetingMedia | None,
) -> list[EventEnvelope]:
    """Let a person in from the lobby; Janus learns their token before anyone is told, and
    their own connections get their media access with the news, sparing them a request."""
    by = await _secretary_name(principal)
    await _waiting_in_lobby(db, engagement_id, attendee_id)
    access = await grant_media(db, engagement_id, attendee_id, media)
    if access is not None:
        tell_after_commit(db, engagement_id, attendee_id, {"type": "media", **asdict(access)})
    return await append_all(db, engagement_id, [Admitted(attendee_id=attendee_id, by=by)])


async def admit_waiting(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    attendee_ids: list[int],
    media: MeetingMedia | None,
) -> list[EventEnvelope]:
    """Let in at once everyone named who is still waiting (the secretariat's "Admit everyone":
    whom its page showed, so nobody who arrived meanwhile comes in unseen); one transaction,
    one commit. Someone a colleague admitted meanwhile is passed over; none still waiting is
    a conflict."""
    by = await _secretary_name(principal)
    state = await meeting_state(db, engagement_id)
    waiting = [a for a in dict.fromkeys(attendee_ids) if state.presence_of(a) is Presence.LOBBY]
    if not waiting:
        raise Conflict("none of these people is waiting in the lobby any more")
    for attendee_id in waiting:
        access = await grant_media(db, engagement_id, attendee_id, media)
        if access is not None:
            tell_after_commit(db, engagement_id, attendee_id, {"type": "media", **asdict(access)})
    admitted: list[Event] = [Admitted(attendee_id=a, by=by) for a in waiting]
    return await append_all(db, engagement_id, admitted)


async def turn_away(
    db: AsyncSession, principal: Principal | None, engagement_id: int, attendee_id: int
) -> list[EventEnvelope]:
    by = await _secretary_name(principal)
    await _waiting_in_lobby(db, engagement_id, attendee_id)
    return await append_all(db, engagement_id, [TurnedAway(attendee_id=attendee_id, by=by)])


async def remove(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    attendee_id: int,
    media: MeetingMedia | None,
) -> list[EventEnvelope]:
    """Put a person out: their token is withdrawn and Janus drops them, then it is recorded."""
    by = await _secretary_name(principal)
    state = await meeting_state(db, engagement_id)
    if state.presence_of(attendee_id) not in (Presence.LOBBY, Presence.ADMITTED):
        raise Conflict("this person is not in the meeting")
    await revoke_media(db, engagement_id, attendee_id, media)
    return await append_all(db, engagement_id, [Removed(attendee_id=attendee_id, by=by)])


async def leave(
    db: AsyncSession, principal: Principal | None, engagement_id: int, media: MeetingMedia | None
) -> list[EventEnvelope]:
    me = await participant_of(db, principal, engagement_id)
    return await drop(db, engagement_id, me.attendee.id, media)


async def drop(
    db: AsyncSession, engagement_id: int, attendee_id: int, media: MeetingMedia | None
) -> list[EventEnvelope]:
    """Record that someone has left: their token is withdrawn, then ``left`` is written."""
    state = await meeting_state(db, engagement_id)
    if state.presence_of(attendee_id) not in (Presence.LOBBY, Presence.ADMITTED):
        return []
    await revoke_media(db, engagement_id, attendee_id, media)
    return await append_all(db, engagement_id, [Left(attendee_id=attendee_id)])


async def set_microphone(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    attendee_id: int | None,
    muted: bool,
    media: MeetingMedia | None,
) -> list[EventEnvelope]:
    """Mute or open a microphone: one's own, or (the secretariat) anyone's, on the server."""
    me = await participant_of(db, principal, engagement_id)
    target = attendee_id or me.attendee.id
    if target != me.attendee.id and not me.is_secretariat:
        raise Forbidden("only the secretariat can mute another participant")
    state = await meeting_state(db, engagement_id)
    if state.presence_of(target) is not Presence.ADMITTED:
        raise Conflict("this person is not in the room")
    if not muted:
        check_opening(state, target, me.attendee.role is Role.CHAIR or me.is_secretariat)
    await mute_on_media(db, engagement_id, {target: muted}, media)
    by = "self" if target == me.attendee.id else "secretariat"
    return await append_all(
        db, engagement_id, [MicrophoneSet(attendee_id=target, muted=muted, by=by)]
    )


async def published(
    db: AsyncSession, principal: Principal | None, engagement_id: int, media: MeetingMedia | None
) -> None:
    """A page (re)started publishing: Janus forgets a mute with the old connection, so the
    mute the log says is in force is applied again."""
    me = await participant_of(db, principal, engagement_id)
    state = await meeting_state(db, engagement_id)
    person = state.participants.get(me.attendee.id)
    if person is None or person.presence is not Presence.ADMITTED:
        raise Forbidden("wait until the secretariat admits you")
    if person.muted:
        await mute_on_media(db, engagement_id, {me.attendee.id: True}, media)


async def set_camera(
    db: AsyncSession, principal: Principal | None, engagement_id: int, on: bool
) -> list[EventEnvelope]:
    me = await participant_of(db, principal, engagement_id)
    state = await meeting_state(db, engagement_id)
    if state.presence_of(me.attendee.id) is not Presence.ADMITTED:
        raise Conflict("you are not in the room")
    return await append_all(db, engagement_id, [CameraSet(attendee_id=me.attendee.id, on=on)])


async def lock(
    db: AsyncSession, principal: Principal | None, engagement_id: int, locked: bool
) -> list[EventEnvelope]:
    by = await _secretary_name(principal)
    state = await meeting_state(db, engagement_id)
    if state.locked == locked:
        return []
    return await append_all(db, engagement_id, [RoomLocked(locked=locked, by=by)])


async def media_access(
    db: AsyncSession, principal: Principal | None, engagement_id: int, media: MeetingMedia | None
) -> MediaAccess:
    """The room, token and feed id of an admitted person; nobody else gets any.

    On the path from admission to the first picture, so it reads only what it needs: a
    grant exists exactly while its holder is admitted (made on admission, deleted on leaving
    or removal), which spares folding the log.
    """
    who = require_engagement_access(principal, engagement_id)
    if isinstance(who, Invitee):
        own = who.grant_for(engagement_id)
        attendee_id = await db.scalar(
            select(Attendee.id).where(
                Attendee.engagement_id == engagement_id,
                Attendee.person_id == (own.person_id if own else -1),
            )
        )
    else:
        attendee_id = (await participant_of(db, principal, engagement_id)).attendee.id
    grant = await grant_of(db, engagement_id, attendee_id) if attendee_id else None
    if grant is None:
        raise Forbidden("wait until the secretariat admits you")
    if media is None:
        raise NotFound("this Summitry runs without a media server")
    url, room_id = await media.room_of(db, engagement_id)
    return MediaAccess(
        server_url=url,
        room_id=room_id,
        token=grant.token,
        feed_id=grant.feed_id,
        ice_servers=media.ice_servers(ice_label(engagement_id, grant.attendee_id)),
    )
