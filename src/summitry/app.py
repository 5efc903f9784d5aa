"""The ASGI application: API, pages, static files, sessions and error handling."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from summitry import __version__
from summitry.api import include_api
from summitry.config import Settings
from summitry.contention import RetryLostRaces
from summitry.db import create_engine, create_sessionmaker
from summitry.documents.clock import ProcedureClock
from summitry.errors import SummitryError
from summitry.floor.clock import FloorClock
from summitry.interpretation.routing import ChannelRouter
from summitry.leases import Lease
from summitry.log.hub import LiveHub
from summitry.log.relay import Relay, relay_key
from summitry.media.channels import LanguageChannels
from summitry.media.ice import IceServers
from summitry.media.meetings import JanusMeetingMedia, janus_keys
from summitry.media.nodes import MediaNode, MediaNodes
from summitry.media.rooms import MeetingRooms
from summitry.media.server import JanusConfig, JanusNat, JanusProcess
from summitry.media.supervisor import MediaSupervisor
from summitry.meeting.access import on_withdrawal
from summitry.meeting.media_events import MediaEvents
from summitry.notices.mailer import Mailer, MailServer
from summitry.pages import ASSETS
from summitry.pages import router as pages_router
from summitry.records.recorder import Recorder
from summitry.runtime import Runtime
from summitry.telephony.operations import withdraw_pins
from summitry.telephony.register import withdraw_calls
from summitry.web.guard import (
    TOO_LARGE,
    BodyLimit,
    GuardRequests,
    content_security_policy,
)
from summitry.web.rendering import render_error

if TYPE_CHECKING:  # imported where the gateway starts (sippy, aiortc: heavy)
    from summitry.telephony.gateway import TelephoneGateway

log = logging.getLogger(__name__)

# The browser libraries are in static/vendor: scripts/bootstrap copies them there from npm.
STATIC_DIR = Path(__file__).parent / "web" / "static"


SWITCH_INTERVAL = 0.0005
"""How long a thread waiting for the interpreter waits before it asks for it, seconds (Python's
default: 0.005)."""


def prepare_to_serve() -> None:
    """For a serving process, once, after the app is made (tests make many apps and do not
    call it): the garbage collector spared, and threads handed the interpreter sooner.

    What starting made (modules, classes, the app: some 120,000 objects) is put beyond the
    collector's full passes, and a full pass waits for 100 younger ones instead of 10. Each
    live connection holds a few hundred objects for as long as it lives; under a wave of
    resuming pages the collector walked all of them every four seconds, stopping the server
    for a quarter to a third of a second each time (docs/benchmarks.md). The price: a full
    pass now and then takes longer, with more garbage to free.

    Every call into SQLite crosses to aiosqlite's thread and back (``sqlite_driver``: once a
    statement), and each crossing needs the interpreter's lock. While the event loop is busy
    (1,000 sockets written, pages resuming) the thread waited for the switch interval before
    the loop let go: up to 5 ms a crossing. At 0.5 ms the thread is let in sooner; the loop
    loses the lock only to a thread that has something to do.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(700, 10, 100)
    sys.setswitchinterval(SWITCH_INTERVAL)


def create_app(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession] | None = None
) -> FastAPI:
    """The Summitry web application for ``settings``; tests may pass their own sessions."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        if sessionmaker is None:
            engine = create_engine(settings.effective_database_url)
            runtime.use_database(create_sessionmaker(engine))
        relay = None
        if settings.redis_url:
            # Replicas: every other replica's commits reach this one's connections too.
            key = relay_key(settings.signing_key())
            relay = Relay(runtime.hub, runtime.sessions, settings.redis_url, key)
            await relay.start()
        supervisor = None
        if settings.media:
            supervisor = start_media(settings, runtime)
            await supervisor.start()
        leases = []
        alone = not settings.redis_url  # no replicas: the work runs here, without a lease
        if supervisor is not None:
            leases.append(media_lease(runtime, supervisor, alone))
        if settings.media and settings.sip_enabled:
            leases.append(telephone_lease(settings, runtime, alone))
        if sessionmaker is None:
            # Tests that pass their own sessions drive speaking time themselves.
            leases.append(floor_clock_lease(runtime, alone))
            # And the deadlines of adoption procedures (tests call ``close_due`` themselves).
            leases.append(procedure_clock_lease(runtime, alone))
        if settings.mail_url:
            leases.append(mail_lease(settings, runtime, alone))
        for lease in leases:
            await lease.begin()
        try:
            yield
        finally:
            for lease in leases:
                await lease.end()
            if runtime.channels is not None:
                await runtime.channels.stop()
            if runtime.recorder is not None:
                await runtime.recorder.stop()
            if supervisor is not None:
                await supervisor.stop()
            if relay is not None:
                await relay.stop()
            if engine is not None:
                await engine.dispose()

    app = FastAPI(
        title="Summitry",
        version=__version__,
        summary="Online diplomacy: engagements, delegations and invitations",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    runtime = app.state.runtime = Runtime(settings, LiveHub())
    if sessionmaker is not None:
        runtime.use_database(sessionmaker)
    on_withdrawal("telephone PINs", withdraw_pins)
    on_withdrawal("telephone calls still ringing", withdraw_calls)

    app.add_middleware(RetryLostRaces)  # innermost: a second run starts where the route does
    app.add_middleware(BodyLimit)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.signing_key(),
        session_cookie="summitry_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies or settings.environment == "production",
    )
    app.add_middleware(GuardRequests, policy=lambda: content_security_policy(runtime.media_origin))

    @app.exception_handler(SummitryError)
    async def on_summitry_error(request: Request, err: SummitryError) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": err.as_dict()}, status_code=err.status)
        return render_error(request, err.status, err.message)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, err: RequestValidationError) -> Response:
        problems = [_describe(e) for e in err.errors()]
        first = err.errors()[0] if err.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        message = "; ".join(problems) or "the request could not be read"
        status = 400 if first.get("type") == "json_invalid" else 422
        body = {"error": {"code": "invalid", "message": message, "field": field}}
        if _wants_json(request):
            return JSONResponse(body, status_code=status)
        return render_error(request, status, message)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, err: StarletteHTTPException) -> Response:
        message = {
            404: "there is nothing at this address",
            405: "this method is not allowed here",
            413: str(err.detail) if str(err.detail).startswith("send at most") else TOO_LARGE,
        }
        text_ = message.get(err.status_code, str(err.detail))
        if _wants_json(request):
            code = {404: "not_found", 413: "too_large"}.get(err.status_code, "http_error")
            return JSONResponse(
                {"error": {"code": code, "message": text_}},
                status_code=err.status_code,
                headers=getattr(err, "headers", None),
            )
        return render_error(request, err.status_code, text_)

    @app.get("/healthz", tags=["operations"])
    async def healthz(request: Request) -> dict[str, str]:
        """Whether Summitry, its database and its media server answer."""
        async with runtime.sessions() as db:
            await db.execute(text("SELECT 1"))
        supervisor = runtime.media_supervisor
        media = "disabled" if supervisor is None else supervisor.health
        return {"status": "ok", "version": __version__, "database": "ok", "media": media}

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        """The mark browsers ask for on every page (an SVG: every current browser reads it)."""
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    include_api(app)
    app.include_router(pages_router)
    for capability, assets in ASSETS.items():
        if assets.is_dir():
            app.mount(f"/static/{capability}", StaticFiles(directory=assets))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def start_media(settings: Settings, runtime: Runtime) -> MediaSupervisor:
    """The media engine for this app: a private Janus in the data directory, the one given, or
    the several nodes given."""
    events = MediaEvents(runtime.sessions)
    nodes = media_nodes(settings)
    media = JanusMeetingMedia(nodes, events.media_restored, IceServers.from_settings(settings))
    runtime.media, runtime.media_origin = media, nodes.origins()
    supervisor = MediaSupervisor(
        media, runtime.sessions, move_after=settings.janus_move_after_seconds
    )
    runtime.media_supervisor = supervisor
    runtime.channels = ChannelRouter(
        LanguageChannels(nodes), runtime.sessions, runtime.hub, media.ice_servers, leading=False
    )
    runtime.recorder = Recorder(
        nodes, settings.recordings, runtime.sessions, runtime.hub, leading=False
    )
    # Channels made anew (after Janus came back) are recorded anew.
    runtime.channels.made.append(runtime.recorder.catch_up)
    return supervisor


def media_nodes(settings: Settings) -> MediaNodes:
    """The Janus nodes the settings name, or one: the given Janus, else a private one."""
    if settings.janus_nodes:
        return MediaNodes(
            [
                MediaNode(
                    node.name,
                    MeetingRooms(node.url, admin_key=node.admin_key or None),
                    node.public_url or node.url,
                    node.capacity,
                    node.confidential,
                )
                for node in settings.janus_nodes
            ]
        )
    if settings.janus_url:
        rooms = MeetingRooms(settings.janus_url, admin_key=settings.janus_admin_key or None)
        return MediaNodes.one(rooms, settings.janus_public_url)
    folder = settings.data_dir / "janus"
    keys = janus_keys(folder)
    config = JanusConfig(
        folder,
        ws_port=settings.janus_ws_port,
        ice_enforce_list=settings.janus_ice_interface or None,
        nat=JanusNat.from_settings(settings),
        admin_secret=keys["admin_secret"],
        room_admin_key=keys["room_admin_key"],
    )
    rooms = MeetingRooms(config.ws_url, admin_key=config.room_admin_key)
    nodes = MediaNodes.one(rooms, settings.janus_public_url)
    nodes.first.process = JanusProcess(config)
    return nodes


def media_lease(runtime: Runtime, supervisor: MediaSupervisor, alone: bool) -> Lease:
    """Every replica talks to Janus; one at a time looks into its rooms for strangers, moves
    engagements off a lost node and keeps the language channels and the recordings."""
    followers = [f for f in (runtime.channels, runtime.recorder) if f is not None]

    async def start() -> None:
        await supervisor.lead()
        for follower in followers:
            await follower.lead()

    async def stop() -> None:
        for follower in followers:
            await follower.follow()
        await supervisor.follow()

    return Lease(runtime.sessions, "media watch", start, stop, alone=alone)


def floor_clock_lease(runtime: Runtime, alone: bool) -> Lease:
    """The floor clock, run by one replica at a time (it mutes whoever overruns their time)."""

    async def start() -> None:
        runtime.floor_clock = FloorClock(runtime.sessions, runtime.hub, runtime.media)
        await runtime.floor_clock.start()

    async def stop() -> None:
        clock, runtime.floor_clock = runtime.floor_clock, None
        if clock is not None:
            await clock.stop()

    return Lease(runtime.sessions, "floor clock", start, stop, alone=alone)


def procedure_clock_lease(runtime: Runtime, alone: bool) -> Lease:
    """The deadlines of silence procedures and written votes, kept by one replica at a time."""
    clock = ProcedureClock(runtime.sessions)
    return Lease(runtime.sessions, "procedure clock", clock.start, clock.stop, alone=alone)


def mail_lease(settings: Settings, runtime: Runtime, alone: bool) -> Lease:
    """The notices' e-mails, sent by one replica at a time."""
    server = MailServer.parse(settings.mail_url, settings.mail_from, settings.effective_base_url)
    mailer = Mailer(runtime.sessions, server)
    return Lease(runtime.sessions, "mail", mailer.start, mailer.stop, alone=alone)


def telephone_lease(settings: Settings, runtime: Runtime, alone: bool) -> Lease:
    """The SIP listener, run by one replica at a time (the trunk calls one address)."""

    async def start() -> None:
        await telephone_gateway(settings, runtime).start()

    async def stop() -> None:
        gateway, runtime.telephony = runtime.telephony, None
        if gateway is not None:
            await gateway.stop()

    return Lease(runtime.sessions, "telephone", start, stop, alone=alone)


def telephone_gateway(settings: Settings, runtime: Runtime) -> TelephoneGateway:
    """The SIP listener of this app, on the media engine ``start_media`` made."""
    # Imported here: sippy starts a process-wide reactor object on import, and aiortc is
    # heavy; installations without a telephone need neither.
    from summitry.telephony.gateway import TelephoneGateway
    from summitry.telephony.prompts import Prompts

    media = runtime.media
    if not isinstance(media, JanusMeetingMedia):
        raise RuntimeError("the telephone needs the media engine: start_media first")

    gateway = TelephoneGateway(
        host=settings.sip_host,
        port=settings.sip_port,
        media_host=settings.sip_media_host or settings.sip_host,
        sessionmaker=runtime.sessions,
        hub=runtime.hub,
        media=media,
        prompts=Prompts(settings.data_dir / "telephony" / "prompts"),
        max_calls=settings.sip_max_calls,
        calls_per_source=settings.sip_calls_per_source,
        invites_per_second=settings.sip_invites_per_second,
        invite_burst=settings.sip_invite_burst,
    )
    runtime.telephony = gateway
    return gateway


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/healthz"))


def _describe(error: object) -> str:
    details = error if isinstance(error, dict) else {}
    location = ".".join(str(p) for p in details.get("loc", ())[1:])
    message = str(details.get("msg", "is not acceptable"))
    if details.get("type") == "json_invalid":
        return "the body is not valid JSON; check quotes, commas and brackets"
    if details.get("type") == "missing":
        if not location:
            return "the request needs a body: send it as JSON"
        return f"{location} is required"
    if details.get("type") == "timezone_aware":
        return f"{location}: give the time with its offset, e.g. 2020-09-14T14:00:00+02:00"
    return f"{location}: {message}" if location else message
