"""The minutes' one event: a version published, fixed in the log by its hash.

It carries numbers and the hash only: the log reaches everyone following the meeting, the
press among them, and the minutes' text reaches only those who may read it.
"""

from __future__ import annotations

from typing import Literal

from summitry.log.events import Event, register


class MinutesPublished(Event):
    kind: Literal["minutes_published"] = "minutes_published"
    version_id: int
    number: int
    sha256: str


register(MinutesPublished)
