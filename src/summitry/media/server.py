"""A private Janus: its own config directory, API on loopback, only what Summitry uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summitry.config import Settings
from summitry.media.janus import JanusClientError, connect

log = logging.getLogger(__name__)

PLUGIN_PACKAGE = "janus.plugin"
_WANTED_TRANSPORTS = frozenset({"websockets"})
# The stock list: Janus refuses to record or play files below these folders.
_PROTECTED_FOLDERS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/initrd",
    "/lib",
    "/lib32",
    "/lib64",
    "/proc",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
)


def default_lib_dir() -> Path:
    """Where the distribution keeps Janus's plugins (Debian: ``/usr/lib/<multiarch>/janus``)."""
    for candidate in sorted(Path("/usr/lib").glob("*/janus")):
        if (candidate / "plugins").is_dir():
            return candidate
    for candidate in (Path("/usr/lib/janus"), Path("/opt/janus/lib/janus")):
        if (candidate / "plugins").is_dir():
            return candidate
    return Path("/usr/lib/x86_64-linux-gnu/janus")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _section(name: str, values: dict[str, str | int | bool | None]) -> str:
    lines = [f"{name}: {{"]
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, int):
            rendered = str(value)
        else:
            rendered = _quote(value)
        lines.append(f"\t{key} = {rendered}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _range(ports: tuple[int, int]) -> str:
    return f"{ports[0]}-{ports[1]}"


@dataclass(frozen=True)
class JanusNat:
    """How browsers outside reach a private Janus: its NAT, ICE and own-TURN settings."""

    nat_1_1_mapping: str = ""
    keep_private_host: bool = False
    ice_lite: bool = False
    ice_tcp: bool = False
    stun_server: str = ""
    """``host:port``; empty: none."""
    turn_server: str = ""
    """``host:port`` of a TURN server for Janus itself; empty: none."""
    turn_type: str = "udp"
    turn_user: str = ""
    turn_password: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> JanusNat:
        """The ``janus_*`` NAT settings (validated there)."""
        return cls(
            nat_1_1_mapping=settings.janus_nat_1_1_mapping,
            keep_private_host=settings.janus_keep_private_host,
            ice_lite=settings.janus_ice_lite,
            ice_tcp=settings.janus_ice_tcp,
            stun_server=settings.janus_stun_server,
            turn_server=settings.janus_turn_server,
            turn_type=settings.janus_turn_type,
            turn_user=settings.janus_turn_user,
            turn_password=settings.janus_turn_password,
        )

    def values(self) -> dict[str, str | int | bool | None]:
        """Janus's ``nat`` settings for these choices (besides the interface lists)."""
        values: dict[str, str | int | bool | None] = {
            "ice_lite": self.ice_lite,
            "ice_tcp": self.ice_tcp,
        }
        if self.nat_1_1_mapping:
            values["nat_1_1_mapping"] = self.nat_1_1_mapping
            values["keep_private_host"] = self.keep_private_host
        if self.stun_server:
            host, _, port = self.stun_server.rpartition(":")
            values.update(stun_server=host, stun_port=int(port))
        if self.turn_server:
            host, _, port = self.turn_server.rpartition(":")
            values.update(
                turn_server=host,
                turn_port=int(port),
                turn_type=self.turn_type,
                turn_user=self.turn_user,
                turn_pwd=self.turn_password,
            )
        return values


@dataclass
class JanusConfig:
    """Everything a private Janus needs; ``write()`` turns it into jcfg files in ``config_dir``."""

    config_dir: Path
    ws_port: int = 8188
    ws_ip: str = "127.0.0.1"
    """Where the WebSocket API listens: loopback for a private Janus, a private address for a
    node that replicas on other machines reach."""
    admin_ws_port: int | None = None
    admin_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """Guards the Admin API (only served when ``admin_ws_port`` is set)."""
    room_admin_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """Plugins create rooms and RTP forwarders only with this key: browsers cannot."""
    rtp_port_range: tuple[int, int] = (20000, 39999)
    """UDP ports for WebRTC media (ICE)."""
    plain_rtp_port_range: tuple[int, int] = (40000, 44999)
    """UDP ports for AudioBridge plain-RTP legs (telephony); must not overlap the above."""
    plain_rtp_ip: str = "127.0.0.1"
    """Address AudioBridge binds plain-RTP legs to and announces in ``join`` replies."""
    channel_port_range: tuple[int, int] = (45000, 49999)
    """UDP ports where Streaming mountpoints take in the language channels' mixes."""
    ice_enforce_list: str | None = None
    """Gather ICE candidates only on this interface (None: all but the ignored ones)."""
    nat: JanusNat = field(default_factory=JanusNat)
    """How browsers outside reach it (1:1 NAT, ICE Lite and TCP, STUN, its own TURN)."""
    plugins: tuple[str, ...] = ("videoroom", "audiobridge", "streaming")
    debug_level: int = 3
    lib_dir: Path = field(default_factory=default_lib_dir)

    @property
    def ws_url(self) -> str:
        host = "127.0.0.1" if self.ws_ip in ("", "0.0.0.0") else self.ws_ip  # noqa: S104
        return f"ws://{host}:{self.ws_port}"

    @property
    def admin_ws_url(self) -> str | None:
        return None if self.admin_ws_port is None else f"ws://127.0.0.1:{self.admin_ws_port}"

    @property
    def log_file(self) -> Path:
        return self.config_dir / "janus.log"

    def write(self) -> None:
        """Write janus.jcfg and the plugin and transport files into ``config_dir``."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.config_dir.chmod(0o700)  # the files hold the admin secret and the room key
        files = {
            "janus.jcfg": self._core(),
            "janus.transport.websockets.jcfg": self._websockets(),
        }
        for plugin in self.plugins:
            files[f"{PLUGIN_PACKAGE}.{plugin}.jcfg"] = self._plugin(plugin)
        for name, text in files.items():
            path = self.config_dir / name
            path.write_text(text)
            path.chmod(0o600)

    def _disabled(self, folder: str, wanted: frozenset[str]) -> str:
        present = sorted(p.name for p in (self.lib_dir / folder).glob("libjanus_*.so"))
        return ",".join(name for name in present if name[len("libjanus_") : -3] not in wanted)

    def _core(self) -> str:
        missing = [
            p for p in self.plugins if not (self.lib_dir / "plugins" / f"libjanus_{p}.so").exists()
        ]
        if missing:
            raise FileNotFoundError(
                f"Janus plugins {', '.join(missing)} are not in {self.lib_dir / 'plugins'}"
            )
        folders = ",\n\t\t".join(_quote(f) for f in _PROTECTED_FOLDERS)
        general = _section(
            "general",
            {
                "configs_folder": str(self.config_dir),
                "plugins_folder": str(self.lib_dir / "plugins"),
                "transports_folder": str(self.lib_dir / "transports"),
                "events_folder": str(self.lib_dir / "events"),
                "loggers_folder": str(self.lib_dir / "loggers"),
                "log_to_stdout": False,
                "log_to_file": str(self.log_file),
                "debug_level": self.debug_level,
                "debug_timestamps": True,
                "debug_colors": False,
                "admin_secret": self.admin_secret,
                "server_name": "summitry",
                "session_timeout": 60,
                "hide_dependencies": True,
            },
        ).replace("}\n", f"\tprotected_folders = [\n\t\t{folders}\n\t]\n}}\n")
        return (
            general
            + _section("certificates", {})
            + _section(
                "media",
                {"ipv6": False, "rtp_port_range": _range(self.rtp_port_range)},
            )
            + _section(
                "nat",
                {
                    "nice_debug": False,
                    "full_trickle": False,
                    **self.nat.values(),
                    "ice_enforce_list": self.ice_enforce_list,
                    "ice_ignore_list": "vmnet",
                },
            )
            + _section("plugins", {"disable": self._disabled("plugins", frozenset(self.plugins))})
            + _section("transports", {"disable": self._disabled("transports", _WANTED_TRANSPORTS)})
            + _section("loggers", {"disable": self._disabled("loggers", frozenset())})
            + _section(
                "events",
                {"broadcast": False, "disable": self._disabled("events", frozenset())},
            )
        )

    def _websockets(self) -> str:
        admin = self.admin_ws_port is not None
        return (
            _section(
                "general",
                {
                    "json": "compact",
                    "ws": True,
                    "ws_port": self.ws_port,
                    "ws_ip": self.ws_ip,
                    "wss": False,
                    "ws_logging": "err,warn",
                },
            )
            + _section(
                "admin",
                {
                    "admin_ws": admin,
                    "admin_ws_port": self.admin_ws_port,
                    "admin_ws_ip": "127.0.0.1" if admin else None,
                    "admin_wss": False,
                },
            )
            + _section("cors", {})
            + _section("certificates", {})
        )

    def _plugin(self, plugin: str) -> str:
        # No stock rooms: Summitry creates every room through the API, with its own secret.
        general: dict[str, str | int | bool | None] = {
            "admin_key": self.room_admin_key,
            "events": False,
        }
        if plugin == "streaming":
            general.update(rtp_port_range=_range(self.channel_port_range))
        else:
            general.update(lock_rtp_forward=True)
        if plugin == "audiobridge":
            general.update(
                lock_play_file=True,
                rtp_port_range=_range(self.plain_rtp_port_range),
                local_ip=self.plain_rtp_ip,
            )
        return _section("general", general)


class JanusProcess:
    """One ``janus`` process running a ``JanusConfig``; stop, kill and start again at will."""

    def __init__(
        self,
        config: JanusConfig,
        *,
        binary: str = "janus",
        prefix: Sequence[str] = (),
        start_timeout: float = 20.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.config = config
        self.binary = binary
        self.prefix = list(prefix)
        """Run through this command, e.g. ``["ip", "netns", "exec", "NAME"]``."""
        self.start_timeout = start_timeout
        """Seconds Janus may take to answer ``info`` after starting."""
        self.stop_timeout = stop_timeout
        """Seconds Janus may take to exit after SIGTERM before it is killed."""
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        """Write the config, start Janus and return once it answers ``info``."""
        if self.running:
            return
        self.config.write()
        with (self.config.config_dir / "janus.out").open("ab") as out:
            # cwd: Janus 1.1.2 aborts after "Bye!" on SIGTERM and may leave a core file there.
            self._process = await asyncio.create_subprocess_exec(
                *self.prefix,
                self.binary,
                "-F",
                str(self.config.config_dir),
                cwd=self.config.config_dir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for us does not reach Janus first
            )
        try:
            async with asyncio.timeout(self.start_timeout):
                await self._wait_ready()
        except TimeoutError as err:
            await self.kill()
            raise RuntimeError(
                f"janus did not answer on {self.config.ws_url} in {self.start_timeout} s; "
                f"see {self.config.log_file}"
            ) from err

    async def _wait_ready(self) -> None:
        while True:
            if self._process is None or self._process.returncode is not None:
                code = None if self._process is None else self._process.returncode
                raise RuntimeError(
                    f"janus exited with code {code} while starting; see "
                    f"{self.config.log_file} and {self.config.config_dir / 'janus.out'}"
                )
            with contextlib.suppress(JanusClientError):
                async with await connect(self.config.ws_url, request_timeout=2.0) as client:
                    await client.info()
                    return
            await asyncio.sleep(0.1)

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it lingers; the exit code (Janus 1.1.2 may abort: normal)."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(self.stop_timeout):
                    await process.wait()
            except TimeoutError:
                log.warning("janus ignored SIGTERM for %s s; killing it", self.stop_timeout)
                return await self.kill()
        return process.returncode

    async def kill(self) -> int | None:
        """SIGKILL, as a crash would; its ports are free again when this returns."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        return process.returncode

    async def restart(self) -> None:
        await self.stop()
        await self.start()
