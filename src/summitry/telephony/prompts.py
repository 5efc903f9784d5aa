"""Spoken prompts, generated on first use with Debian's espeak-ng and sox, then cached.

Nothing opaque is shipped: the words are here, and ``<data_dir>/telephony/prompts`` holds
their 8 kHz µ-law rendering, named after a hash of the words and the voice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from summitry.telephony import g711

logger = logging.getLogger(__name__)

VOICE = "en"
PROMPTS = {
    "welcome": "Welcome to Summitry. Please enter your personal PIN, then the hash key.",
    "wrong_pin": "That PIN is not right. Please try again.",
    "goodbye": "Goodbye.",
    "lobby": "Thank you. Please wait: the secretariat will let you into the meeting.",
    "admitted": "You are in the meeting. Press star one to ask for the floor.",
    "floor_requested": "You have asked for the floor.",
    "refused": "That is not possible now.",
    "no_channels": "That language channel is not available.",
    "channel_chosen": "You now hear the interpretation.",
    "floor_chosen": "You now hear the floor.",
    "microphone_open": "Your microphone is open.",
    "microphone_closed": "Your microphone is muted.",
}
SILENCE_SECONDS = 0.5


class Prompts:
    """The µ-law audio of each prompt, made once per installation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._audio: dict[str, bytes] = {}

    async def prepare(self) -> None:
        """Make (or read) every prompt; without espeak-ng or sox, prompts are silence."""
        await asyncio.to_thread(self._prepare)

    def _prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tools = shutil.which("espeak-ng"), shutil.which("sox")
        for name, words in PROMPTS.items():
            digest = hashlib.sha256(f"{VOICE}\n{words}".encode()).hexdigest()[:16]
            path = self.folder / f"{name}-{digest}.ulaw"
            if not path.exists():
                if None in tools:
                    logger.warning("espeak-ng or sox is missing: telephone prompts are silent")
                    self._audio[name] = bytes([g711.SILENCE]) * 8000
                    continue
                _render(words, path, tools[0] or "", tools[1] or "")
            self._audio[name] = path.read_bytes()

    def __getitem__(self, name: str) -> bytes:
        return self._audio.get(name, b"") + bytes([g711.SILENCE]) * int(8000 * SILENCE_SECONDS)


def _render(words: str, path: Path, espeak: str, sox: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "prompt.wav"
        subprocess.run(  # noqa: S603 - fixed tool, words from PROMPTS
            [espeak, "-v", VOICE, "-s", "150", "-w", str(wav), words],
            check=True,
            capture_output=True,
            timeout=30,
        )
        partial = path.with_suffix(".part")
        subprocess.run(  # noqa: S603
            [sox, str(wav), "-r", "8000", "-c", "1", "-t", "ul", str(partial)],
            check=True,
            capture_output=True,
            timeout=30,
        )
        partial.replace(path)
