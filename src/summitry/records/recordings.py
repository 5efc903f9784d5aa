"""A meeting's recordings as standard files: Janus's ``.mjr`` turned into Opus in Ogg (the floor
of each speaker, each language channel) and WebM (each speaker's camera) by ``janus-pp-rec``.

A file is converted when first asked for, and again when Janus has written more to it since
(a meeting still recorded). Each source's files are numbered in order as its parts: a new part
begins when Janus's rooms were made anew (after Janus or Summitry restarted).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from summitry.delegations.catalogue import language_name
from summitry.errors import MediaUnavailable, NotFound

SPEAKERS = "speakers.json"
"""Beside the files: whose feed number is whose, as the recorder saw them."""
CONVERTER = "janus-pp-rec"
AGAIN_AFTER = 60.0
"""Seconds before a file still being recorded is converted again."""
CONVERTED = "files"
"""The subfolder of the standard files."""

_FLOOR = re.compile(r"^videoroom-\d+-user-(?P<feed>\d+)-(?P<at>\d+)-(?P<media>audio|video)-\d+$")
_CHANNEL = re.compile(r"^channel-(?P<language>[A-Za-z-]+)-(?P<at>\d+)$")
_LOCKS: dict[Path, asyncio.Lock] = {}


@dataclass(frozen=True)
class Track:
    """One recorded file, converted."""

    name: str
    """Its file name, the way to ask for it."""
    source: str
    """``floor`` or the language channel's code."""
    label: str
    """What it is, in words: whose microphone or camera, or which channel."""
    media: str
    """``audio`` or ``video``."""
    part: int
    began: dt.datetime
    seconds: float
    size: int
    path: Path


@dataclass(frozen=True)
class _Raw:
    mjr: Path
    source: str
    label: str
    media: str
    began: dt.datetime
    key: str
    """Tracks with the same key are the parts of one source."""


def meeting_folder(root: Path, engagement_id: int) -> Path:
    """Where an engagement's recordings are, under the recordings' folder."""
    return root / str(engagement_id)


def _raw_files(folder: Path) -> list[_Raw]:
    if not folder.is_dir():
        return []
    speakers: dict[str, dict[str, str]] = {}
    if (folder / SPEAKERS).exists():
        speakers = json.loads((folder / SPEAKERS).read_text(encoding="utf-8"))
    found = []
    for mjr in sorted(folder.glob("*.mjr")):
        floor, channel = _FLOOR.match(mjr.stem), _CHANNEL.match(mjr.stem)
        if floor is not None:
            who = speakers.get(floor["feed"], {})
            person = who.get("name", f"participant {floor['feed']}")
            whose = f"{who['delegation']}, {person}" if "delegation" in who else person
            media = floor["media"]
            label = f"Floor: {whose} ({'microphone' if media == 'audio' else 'camera'})"
            at, key = floor["at"], f"floor {floor['feed']} {media}"
            found.append(_Raw(mjr, "floor", label, media, _instant(at), key))
        elif channel is not None:
            language = channel["language"]
            label = f"{language_name(language)} channel"
            found.append(
                _Raw(mjr, language, label, "audio", _instant(channel["at"]), f"channel {language}")
            )
    return found


def _instant(microseconds: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(microseconds) / 1e6, dt.UTC)


async def tracks(folder: Path) -> list[Track]:
    """Every recorded file of the meeting in ``folder``, converted as it stands now: the floor
    first, then the channels; each source's parts in order."""
    lock = _LOCKS.setdefault(folder, asyncio.Lock())
    async with lock:  # two readers at once convert each file once
        raws = await asyncio.to_thread(_raw_files, folder)
        parts: dict[str, int] = {}
        made = []
        for raw in sorted(raws, key=lambda r: r.began):
            path = await _converted(folder, raw)
            if path is None:
                continue  # nothing was ever written to it (a camera kept off)
            parts[raw.key] = parts.get(raw.key, 0) + 1
            made.append(
                Track(
                    path.name,
                    raw.source,
                    raw.label,
                    raw.media,
                    parts[raw.key],
                    raw.began,
                    await asyncio.to_thread(_seconds, path),
                    path.stat().st_size,
                    path,
                )
            )
    return sorted(made, key=_order)


def _order(track: Track) -> tuple[bool, str, str, str, int]:
    """The floor first, each speaker's microphone then camera; then the channels."""
    whose = track.label.rpartition(" (")[0] or track.label
    return (track.source != "floor", track.source, whose, track.media, track.part)


async def track(folder: Path, name: str) -> Track:
    """The recorded file of that name."""
    for found in await tracks(folder):
        if found.name == name:
            return found
    raise NotFound("there is no recording of that name in this engagement")


async def _converted(folder: Path, raw: _Raw) -> Path | None:
    out = folder / CONVERTED / f"{raw.mjr.stem}.{'opus' if raw.media == 'audio' else 'webm'}"
    if out.exists():
        made = out.stat().st_mtime
        # A file Janus is still writing is converted again at most once a minute: a summit's
        # forty speakers would otherwise be converted again at every look at the page.
        if made >= raw.mjr.stat().st_mtime or time.time() - made < AGAIN_AFTER:
            return out
    if shutil.which(CONVERTER) is None:
        raise MediaUnavailable(
            f"{CONVERTER} is not installed here (Debian package janus-tools): "
            "the recordings cannot be converted"
        )
    out.parent.mkdir(exist_ok=True)
    partial = out.with_name(f"converting-{out.name}")
    process = await asyncio.create_subprocess_exec(
        CONVERTER, "-d", "0", str(raw.mjr), str(partial),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    if await process.wait() != 0 or not partial.exists() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        return None
    partial.replace(out)
    return out


def _seconds(path: Path) -> float:
    """How long the file plays."""
    import av  # only here: a page that lists no recording need not load FFmpeg

    with av.open(str(path)) as container:
        stream = container.streams[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / 1e6
        last = 0.0
        for packet in container.demux(stream):
            if packet.pts is not None and packet.time_base is not None:
                last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        return last
