"""The text on the meeting's screens: the chair puts a document up at a paragraph, or takes
it down; every reader's page is sent the document with it (``readers``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.documents.actors import Actor, require_chair
from summitry.documents.drafting import version_of
from summitry.documents.events import TextHidden, TextShown
from summitry.documents.models import OutcomeDocument
from summitry.documents.readers import tell_readers
from summitry.errors import InvalidInput


async def show(
    db: AsyncSession, actor: Actor, document: OutcomeDocument, paragraph: int | None
) -> None:
    """Put the text on every screen of the meeting at a paragraph; ``None``: take it down."""
    require_chair(actor, "put the text on the screen")
    await log.hold(db, document.engagement_id)
    if paragraph is None:
        await log.append(
            db, document.engagement_id, TextHidden(document_id=document.id, by=actor.name)
        )
    else:
        latest = await version_of(db, document.id, None)
        count = max(len(p) for p in latest.texts.values())
        if not 1 <= paragraph <= count:
            raise InvalidInput(f"give a paragraph from 1 to {count}", field="paragraph")
        await log.append(
            db,
            document.engagement_id,
            TextShown(
                document_id=document.id,
                version=latest.number,
                paragraph=paragraph,
                by=actor.name,
            ),
        )
        screen = {"document_id": document.id, "version": latest.number, "paragraph": paragraph}
        await tell_readers(db, document, screen)
    await db.commit()
