"""The demo's topics and channels: the 2020 data gives neither, so they are read from what it
says of each engagement (its title and outcomes), by the words that name a subject."""

from __future__ import annotations

import re

from summitry.engagements.models import CHANNEL_OF_KIND, Channel, EngagementKind

# A topic, and the words in a title or an outcome that put an engagement under it.
TOPIC_WORDS: tuple[tuple[str, str], ...] = (
    ("covid-19", r"covid|coronavirus|pandemic|epidemic|anti-epidemic"),
    ("health", r"health|vaccine|gavi|\bwho\b|africa cdc"),
    ("trade", r"trade|economic partnership|geographical indications|agricultur|import"),
    ("investment", r"investment"),
    ("economy", r"econom|debt|recovery|financ|pledg|\bfund\b"),
    ("climate", r"climate|paris agreement|emissions|carbon|net-zero"),
    ("security", r"security|terroris|maritime|logistics support|victory"),
    ("multilateralism", r"united nations|\bun\b|multilateral|general assembly|secretary-general"),
)

# The data's ceremonies of 2020 were held online: their titles say so ("virtual session").
_ONLINE = re.compile(r"virtual|online|video", re.IGNORECASE)


def topics_of(title: str, outcomes: list[str]) -> list[str]:
    """The topics whose words appear in the engagement's title or outcomes, in table order."""
    text = " ".join([title, *outcomes]).lower()
    return [topic for topic, words in TOPIC_WORDS if re.search(words, text)]


def channel_of(kind: EngagementKind, title: str) -> Channel:
    """The kind's channel, except a ceremony its title says was held online."""
    if kind is EngagementKind.CEREMONY and _ONLINE.search(title):
        return Channel.VIDEO
    return CHANNEL_OF_KIND[kind]
