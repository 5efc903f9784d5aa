"""Routing the audio of interpretation on Janus, following the meeting's log.

Per booth, a language channel (``media.channels``): the floor comes in at the floor's level
(at full level where the speaker speaks the channel's own language), the interpreter on the
air speaks, listeners receive the mix. The router keeps Janus in line with the log: when
someone begins publishing, leaves or is removed, when the floor or its language changes, when
Janus comes back after a crash. It reads the log; it never writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.engagements.attendance import in_role
from summitry.engagements.models import Engagement, EngagementStatus, Role
from summitry.engagements.operations import get_engagement
from summitry.interpretation.booths import booths_of, floor_language, floor_level
from summitry.interpretation.channel_records import (
    channel_for,
    channels_of,
    left_unrenewed,
    live_engagements_with_channels,
    renew_pins,
    renewed_elsewhere,
)
from summitry.interpretation.state import interpretation_of
from summitry.log.following import LogFollower
from summitry.log.hub import LiveHub
from summitry.media.channels import AUDIOBRIDGE, ChannelSpec, LanguageChannels, listening_pin
from summitry.media.models import MediaRoom
from summitry.media.nodes import MediaNode
from summitry.media.seats import Seat, seat_room_id
from summitry.media.watch import WatchedRoom
from summitry.meeting import operations as live
from summitry.meeting.grants import grant_of, grants_in
from summitry.meeting.media_port import IceServer, ice_label
from summitry.meeting.state import MeetingState

FOLLOWED = frozenset(
    {
        "admitted",
        "left",
        "removed",
        "floor_given",
        "floor_released",
        "floor_language_declared",
        "floor_level_set",
        "media_restored",
        "meeting_ended",
    }
)
"""Events after which Janus may no longer match the log."""


@dataclass(frozen=True)
class ChannelAccess:
    """What one admitted person's page needs to listen to the channels, or speak into one."""

    server_url: str
    channels: list[tuple[str, int, str]]
    """(language, mountpoint, PIN) of every channel."""
    booth: tuple[str, int, str, int] | None
    """For an interpreter: (language, their seat's AudioBridge room, token, participant id)."""
    ice_servers: tuple[IceServer, ...] = ()
    """Where the page may relay its media; TURN credentials are this person's own."""


class ChannelRouter(LogFollower):
    """Keeps every engagement's language channels on Janus as its log says they should be."""

    followed = FOLLOWED
    what = "channels"

    def __init__(
        self,
        channels: LanguageChannels,
        sessionmaker: async_sessionmaker[AsyncSession],
        hub: LiveHub,
        ice_servers: Callable[[str], tuple[IceServer, ...]] = lambda _label: (),
        *,
        leading: bool = True,
    ) -> None:
        super().__init__(sessionmaker, hub, leading=leading)
        self.channels = channels
        self.ice_servers = ice_servers
        """The meeting media's STUN and TURN servers for a person (``MeetingMedia``'s)."""
        self._opened: dict[int, list[ChannelSpec]] = {}
        """The channels of each engagement as last made in Janus."""
        self._closed: set[int] = set()
        """Engagements whose channels were closed for good (the meeting ended)."""
        self.made: list[Callable[[int], None]] = []
        """Told an engagement's id when its channels were made anew in Janus (the recorder)."""
        channels.nodes.extensions.append(self)  # revoked, closed and watched with the rooms

    async def engagements_to_resume(self, db: AsyncSession) -> list[int]:
        """Every meeting's channels are made afresh here, as the log and the database say
        (listeners rejoin with the PINs they have)."""
        return list(await live_engagements_with_channels(db))

    async def let_go(self) -> None:
        """Answer for access from the database alone."""
        self._opened.clear()
        await self.channels.forget()

    async def settle(self, db: AsyncSession, engagement_id: int) -> None:
        await self.open(db, engagement_id)

    async def open(self, db: AsyncSession, engagement_id: int) -> list[ChannelSpec]:
        """Make the engagement's channels on Janus if needed and feed them the floor."""
        async with self.lock(engagement_id):
            specs = await self._open(db, engagement_id)
            self._opened[engagement_id] = specs
            return specs

    async def _open(self, db: AsyncSession, engagement_id: int) -> list[ChannelSpec]:
        planned = await self._plan(db, engagement_id, lead=True)
        if planned is None:
            return []
        engagement, state, room, node, specs = planned
        made = [await self.channels.ensure(spec) for spec in specs]
        if any(made):
            for told in self.made:
                told(engagement_id)
        publishers = await node.rooms.publishers(room.janus_room_id, room.secret)
        speaking = floor_language(engagement, state)
        level = floor_level(engagement, state)
        for spec in specs:
            volume = 100 if spec.language == speaking else level
            await self.channels.feed_floor(
                spec, room.janus_room_id, room.secret, publishers, volume
            )
        return specs

    async def _plan(self, db: AsyncSession, engagement_id: int, *, lead: bool) -> _Plan | None:
        """The channels as the log and the database say they should be; None if there are
        none (closing them for good first, when leading and the meeting is over)."""
        if not self._opened.get(engagement_id) and not await in_role(
            db, engagement_id, Role.INTERPRETER
        ):
            # No booth, and no channel to close: the whole engagement is not read on every
            # admission (the newcomer's page is joining Janus at that moment).
            return None
        engagement = await get_engagement(db, engagement_id)
        booths = booths_of(engagement)
        if not booths:
            return None
        if engagement_id in self._closed or engagement.status in (
            EngagementStatus.ENDED,
            EngagementStatus.CANCELLED,
        ):
            if lead:
                await self._close(db, engagement_id)
            return None
        state = await live.meeting_state(db, engagement_id)
        # The channels live on the engagement's node, beside its VideoRoom whose floor they carry.
        room, node = await self.channels.nodes.placed(db, engagement_id)
        grants = await grants_in(db, engagement_id)
        rows = [await channel_for(db, engagement_id, booth.language) for booth in booths]
        admitted = frozenset(g.token for g in grants.values())
        before = self._opened.get(engagement_id, [])
        if lead and left_unrenewed(before, admitted, rows):
            renew_pins(rows)  # someone left without a revocation (one renews the database's)
        await db.commit()
        specs = []
        for booth, row in zip(booths, rows, strict=True):
            seats = tuple(
                Seat(grants[a.id].feed_id, grants[a.id].token)
                for a in booth.interpreters
                if a.id in grants
            )
            live_one = grants.get(interpretation_of(state).live.get(booth.language) or 0)
            spec = ChannelSpec(
                row.janus_room_id,
                row.secret,
                booth.language,
                pin=listening_pin(row.secret, row.generation),
                seats=seats,
                on_air=live_one.feed_id if live_one is not None else None,
                admitted=admitted,
                node=node.name,
            )
            specs.append(spec)
        return engagement, state, room, node, specs

    async def access(self, db: AsyncSession, engagement_id: int, attendee_id: int) -> ChannelAccess:
        """The channels an admitted person may listen to, and the booth they may speak into."""
        engagement = await get_engagement(db, engagement_id)
        grant = await grant_of(db, engagement_id, attendee_id)
        # The router follows every admission, so the channels are usually made already; an
        # interpreter just admitted may come before the router has let their token in.
        specs = self._opened.get(engagement_id, [])
        interprets = any(a.id == attendee_id and a.booth for a in engagement.attendees)
        if not self.leading:
            # Another replica keeps the channels: what they are is in the database.
            planned = await self._plan(db, engagement_id, lead=False)
            specs = [] if planned is None else planned[4]
        elif (
            not specs
            or (
                interprets
                and grant is not None
                and all(grant.feed_id not in {x.feed_id for x in s.seats} for s in specs)
            )
            or renewed_elsewhere(specs, await channels_of(db, engagement_id))
        ):
            # The records decide: a revocation committed on another replica is in force before
            # this one has heard of it through the relay.
            specs = await self.open(db, engagement_id)
        booth = None
        for spec in specs:
            interprets = any(
                a.id == attendee_id and a.booth == spec.language for a in engagement.attendees
            )
            if interprets and grant is not None:
                seat = seat_room_id(spec.secret, grant.feed_id)
                booth = (spec.language, seat, grant.token, grant.feed_id)
        node = self.channels.nodes.named(specs[0].node) if specs else None
        return ChannelAccess(
            (node or self.channels.nodes.first).public_url,
            [(s.language, s.room_id, s.pin) for s in specs],
            booth,
            self.ice_servers(ice_label(engagement_id, attendee_id)),
        )

    async def set_on_air(
        self, db: AsyncSession, engagement_id: int, language: str, attendee_id: int, on_air: bool
    ) -> None:
        """Open or close one interpreter's microphone in their booth's channel, in Janus."""
        grant = await grant_of(db, engagement_id, attendee_id)
        if grant is None:
            return  # not in the meeting: nothing of theirs reaches Janus
        node = await self.channels.nodes.carrying(db, engagement_id)
        if node is None:
            return  # no room on any node yet: the channel is made with the log's choice
        row = await channel_for(db, engagement_id, language)
        spec = ChannelSpec(row.janus_room_id, row.secret, language, node=node.name)
        await self.channels.set_on_air(spec, grant.feed_id, on_air)

    async def revoke(self, db: AsyncSession, engagement_id: int, token: str, feed_id: int) -> None:
        """Put out of every channel of the engagement whoever entered with ``token``."""
        rows = await channels_of(db, engagement_id)
        node = await self.channels.nodes.carrying(db, engagement_id)
        if not rows or node is None:
            return
        remaining = frozenset(
            g.token for g in (await grants_in(db, engagement_id)).values() if g.token != token
        )
        known = {s.room_id: s for s in self._opened.get(engagement_id, [])}
        renew_pins(rows)  # committed with the revocation: every replica gives out the new PINs
        after = []
        for row in rows:
            spec = known.get(row.janus_room_id) or ChannelSpec(
                row.janus_room_id, row.secret, row.language, node=node.name
            )
            spec = replace(
                spec,
                seats=tuple(s for s in spec.seats if s.feed_id != feed_id),
                on_air=None if spec.on_air == feed_id else spec.on_air,
                admitted=remaining,
                pin=listening_pin(row.secret, row.generation),
            )
            await self.channels.revoke(spec, token, feed_id)
            after.append(spec)
        if engagement_id in self._opened:
            self._opened[engagement_id] = [s for s in after if s.room_id in known]

    async def close(self, db: AsyncSession, engagement_id: int) -> None:
        """Destroy the engagement's channels for good: the meeting has ended."""
        self._closed.add(engagement_id)
        await self._close(db, engagement_id)

    async def _close(self, db: AsyncSession, engagement_id: int) -> None:
        known = {s.room_id: s for s in self._opened.pop(engagement_id, [])}
        booths = {b.language: b for b in booths_of(await get_engagement(db, engagement_id))}
        grants = await grants_in(db, engagement_id)
        node = await self.channels.nodes.carrying(db, engagement_id)
        if node is None:
            return  # never placed on a node: no channel was made
        for row in await channels_of(db, engagement_id):
            spec = known.get(row.janus_room_id) or ChannelSpec(
                row.janus_room_id, row.secret, row.language, node=node.name
            )
            # The seats of every interpreter still admitted, made by this process or another.
            booth = booths.get(row.language)
            seated = [grants[a.id] for a in booth.interpreters if a.id in grants] if booth else []
            seats = spec.seats + tuple(Seat(g.feed_id, g.token) for g in seated)
            await self.channels.destroy(replace(spec, seats=seats))

    def watched(self) -> list[WatchedRoom]:
        """Each interpreter's seat: nobody but that interpreter may be in it."""
        engagement_of = {
            spec.room_id: engagement_id
            for engagement_id, specs in self._opened.items()
            for spec in specs
        }
        return [
            WatchedRoom(
                engagement_of[spec.room_id],
                AUDIOBRIDGE,
                seat_room_id(spec.secret, seat.feed_id),
                spec.secret,
                frozenset({seat.feed_id}),
                spec.node,
            )
            for spec, seat in self.channels.seats()
            if spec.room_id in engagement_of
        ]


_Plan = tuple[Engagement, MeetingState, MediaRoom, MediaNode, list[ChannelSpec]]
