"""The Atom feed of published readouts (RFC 4287), written by feedgen: public readouts past
their embargo, newest first, each with its delegation as author."""

from __future__ import annotations

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from summitry.records.readout_reading import Seen


def atom(seen: list[Seen], *, base_url: str, path: str, title: str, names: dict[str, str]) -> bytes:
    """The feed at ``base_url + path`` of these readouts (each with a published version)."""
    feed = FeedGenerator()
    feed.id(base_url + path)
    feed.title(title)
    feed.author({"name": "Summitry"})
    feed.link(href=base_url + path, rel="self", type="application/atom+xml")
    feed.link(href=base_url + "/readouts", rel="alternate", type="text/html")
    feed.language("en")
    newest = max((s.versions[-1].visible_from for s in seen), default=None)
    if newest is not None:
        feed.updated(newest)
    for one in reversed(seen):  # feedgen puts each entry added first at the top
        first, current = one.versions[0], one.versions[-1]
        link = f"{base_url}/readouts/{one.readout.id}"
        entry = feed.add_entry()
        entry.id(link)
        entry.title(current.title)
        entry.link(href=link, rel="alternate", type="text/html")
        entry.author({"name": names.get(one.readout.delegation, one.readout.delegation)})
        entry.published(first.visible_from)
        entry.updated(current.visible_from)
        entry.content(current.body, type="text")
    result: bytes = feed.atom_str(pretty=True)
    return result
