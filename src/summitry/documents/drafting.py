"""Drafting: documents, their versions and amendments.

Every write holds the engagement's log first (``log.hold``), so that what is checked is what
is changed, whoever else acts at the same moment; each change is a row and an event, in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.delegations import catalogue
from summitry.documents import texts as text_rules
from summitry.documents.actors import Actor, may_read, require_secretariat
from summitry.documents.events import (
    AmendmentDecided,
    AmendmentProposed,
    DocumentDrafted,
    VersionMade,
)
from summitry.documents.models import (
    Amendment,
    AmendmentAction,
    AmendmentStatus,
    DocumentKind,
    DocumentStage,
    DocumentVersion,
    OutcomeDocument,
)
from summitry.documents.readers import tell_readers
from summitry.documents.texts import Change, Texts
from summitry.engagements.operations import get_engagement
from summitry.errors import Conflict, Forbidden, InvalidInput, NotFound


@dataclass(frozen=True)
class Draft:
    """What the secretariat gives to begin a document."""

    kind: DocumentKind
    title: str
    texts: dict[str, str]
    """Language → the whole text, paragraphs separated by a blank line."""
    authentic: list[str] | None = None
    parties: list[str] | None = None
    confidential: bool = True


async def draft(db: AsyncSession, actor: Actor, engagement_id: int, data: Draft) -> OutcomeDocument:
    """Begin a document with its first version."""
    require_secretariat(actor, "draft an outcome document")
    await log.hold(db, engagement_id)
    engagement = await get_engagement(db, engagement_id)
    title = " ".join(data.title.split())
    if not title:
        raise InvalidInput("give the document a title", field="title")
    if not data.texts:
        raise InvalidInput("give the text in at least one language", field="texts")
    languages = [catalogue.check_language(code) for code in data.texts]
    if len(set(languages)) != len(languages):
        raise InvalidInput("each language's text is given once", field="texts")
    texts = text_rules.checked(
        {
            lang: text_rules.paragraphs(t)
            for lang, t in zip(languages, data.texts.values(), strict=True)
        },
        languages,
    )
    authentic = [catalogue.check_language(code) for code in (data.authentic or languages)]
    stray = [code for code in authentic if code not in languages]
    if stray:
        raise InvalidInput(
            f"{', '.join(stray)} cannot be authentic: the document has no text in it",
            field="authentic",
        )
    taking_part = [p.delegation.code for p in engagement.delegations]
    parties = [code.strip().upper() for code in (data.parties or taking_part)]
    strangers = [code for code in parties if code not in taking_part]
    if strangers:
        raise InvalidInput(
            f"{', '.join(strangers)} does not take part in this engagement: the parties are "
            "chosen among its delegations",
            field="parties",
        )
    if not parties:
        raise InvalidInput("the engagement has no delegations to be parties", field="parties")
    document = OutcomeDocument(
        engagement_id=engagement_id,
        kind=data.kind,
        title=title,
        languages=languages,
        authentic=[code for code in languages if code in authentic],
        parties=list(dict.fromkeys(parties)),
        confidential=data.confidential,
        stage=DocumentStage.DRAFT,
    )
    db.add(document)
    await db.flush()
    await log.append(
        db,
        engagement_id,
        DocumentDrafted(
            document_id=document.id,
            document_kind=data.kind.value,
            languages=languages,
            confidential=data.confidential,
            by=actor.name,
        ),
    )
    await _new_version(db, document, texts, actor.name, "first draft")
    await db.commit()
    return document


async def document_of(
    db: AsyncSession, actor: Actor, engagement_id: int, document_id: int
) -> OutcomeDocument:
    """The document, if this person may read it; otherwise it is not there for them."""
    found = await db.get(OutcomeDocument, document_id)
    if found is None or found.engagement_id != engagement_id or not may_read(actor, found):
        raise NotFound("no document with this id is open to you in this engagement")
    return found


async def documents_of(db: AsyncSession, actor: Actor, engagement_id: int) -> list[OutcomeDocument]:
    """The engagement's documents this person may read, oldest first."""
    rows = await db.scalars(
        select(OutcomeDocument)
        .where(OutcomeDocument.engagement_id == engagement_id)
        .order_by(OutcomeDocument.id)
    )
    return [d for d in rows if may_read(actor, d)]


async def versions_of(db: AsyncSession, document_id: int) -> list[DocumentVersion]:
    """Every version of the document, first to latest."""
    rows = await db.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.number)
    )
    return list(rows)


async def version_of(db: AsyncSession, document_id: int, number: int | None) -> DocumentVersion:
    """One version (the latest for ``None``)."""
    query = select(DocumentVersion).where(DocumentVersion.document_id == document_id)
    if number is None:
        query = query.order_by(DocumentVersion.number.desc()).limit(1)
    else:
        query = query.where(DocumentVersion.number == number)
    found = await db.scalar(query)
    if found is None:
        raise NotFound(f"the document has no version {number}")
    return found


async def amendments_of(db: AsyncSession, document_id: int) -> list[Amendment]:
    rows = await db.scalars(
        select(Amendment).where(Amendment.document_id == document_id).order_by(Amendment.id)
    )
    return list(rows)


def require_draft(document: OutcomeDocument) -> None:
    """Refuse to change a text that is no longer a draft."""
    if document.stage is DocumentStage.ADOPTED or document.stage is DocumentStage.SIGNED:
        raise Conflict(
            f"the text was adopted (version {document.adopted_version}): an adopted text is "
            "not amended; draft a new document to change it"
        )
    if document.stage is DocumentStage.UNDER_PROCEDURE:
        raise Conflict(
            "the text is under an adoption procedure: withdraw the procedure before changing it"
        )


async def edit(
    db: AsyncSession,
    actor: Actor,
    document: OutcomeDocument,
    *,
    texts: dict[str, str] | None = None,
    change: Change | None = None,
    note: str = "",
) -> DocumentVersion:
    """A new version from the secretariat: whole texts, or one paragraph changed as agreed."""
    require_secretariat(actor, "edit the text")
    await log.hold(db, document.engagement_id)
    await db.refresh(document)
    require_draft(document)
    latest = await version_of(db, document.id, None)
    if (texts is None) == (change is None):
        raise InvalidInput("give either the whole texts or one paragraph's change")
    if texts is not None:
        given = {lang: text_rules.paragraphs(t) for lang, t in texts.items()}
        new = {**latest.texts, **text_rules.checked(given, document.languages)}
    else:
        assert change is not None  # noqa: S101 - one of the two, checked above
        new = text_rules.apply(latest.texts, change)
    if text_rules.digest(new) == latest.sha256:
        raise Conflict(f"the text is the same as version {latest.number}: nothing to save")
    version = await _new_version(db, document, new, actor.name, note)
    await tell_readers(db, document)
    await db.commit()
    return version


async def propose(
    db: AsyncSession, actor: Actor, document: OutcomeDocument, change: Change
) -> Amendment:
    """A delegation's amendment to the latest version, to be accepted, merged or rejected."""
    delegation = actor.speaks_for(document.parties)
    if delegation is None:
        raise Forbidden("amendments are proposed by the delegations of the parties")
    await log.hold(db, document.engagement_id)
    await db.refresh(document)
    require_draft(document)
    latest = await version_of(db, document.id, None)
    text_rules.check_change(latest.texts, change)
    amendment = Amendment(
        document_id=document.id,
        version=latest.number,
        language=change.language,
        paragraph=change.paragraph,
        action=AmendmentAction(change.action),
        original=_paragraph(latest.texts, change),
        text=" ".join(change.text.split()),
        bracketed=change.bracketed,
        delegation=delegation,
        proposed_by=actor.name,
        status=AmendmentStatus.PROPOSED,
    )
    db.add(amendment)
    await db.flush()
    await log.append(
        db,
        document.engagement_id,
        AmendmentProposed(
            document_id=document.id,
            amendment_id=amendment.id,
            version=latest.number,
            language=change.language,
            paragraph=change.paragraph,
            action=change.action,
            bracketed=change.bracketed,
            delegation=delegation,
            by=actor.name,
        ),
    )
    await tell_readers(db, document)
    await db.commit()
    return amendment


async def decide(
    db: AsyncSession,
    actor: Actor,
    document: OutcomeDocument,
    amendment_id: int,
    decision: str,
    merged_text: str | None = None,
) -> Amendment:
    """Accept (into a new version), merge (with the secretariat's wording) or reject."""
    require_secretariat(actor, "decide on amendments")
    await log.hold(db, document.engagement_id)
    await db.refresh(document)
    require_draft(document)
    amendment = await db.get(Amendment, amendment_id)
    if amendment is None or amendment.document_id != document.id:
        raise NotFound("this document has no such amendment")
    if amendment.status is not AmendmentStatus.PROPOSED:
        raise Conflict(f"this amendment was {amendment.status.value} already")
    version: int | None = None
    if decision in ("accepted", "merged"):
        wording = amendment.text
        if decision == "merged":
            wording = " ".join((merged_text or "").split())
            if not wording and amendment.action is not AmendmentAction.DELETE:
                raise InvalidInput("give the merged wording", field="text")
        latest = await version_of(db, document.id, None)
        change = Change(
            amendment.language,
            amendment.paragraph,
            amendment.action.value,
            wording,
            amendment.bracketed and decision == "accepted",
        )
        _still_applies(latest.texts, amendment)
        made = await _new_version(
            db,
            document,
            text_rules.apply(latest.texts, change),
            actor.name,
            f"amendment {amendment.id} by {amendment.delegation} {decision}",
            [amendment.id],
        )
        version = made.number
    elif decision != "rejected":
        raise InvalidInput("decide accepted, merged or rejected", field="decision")
    amendment.status = AmendmentStatus(decision)
    amendment.decided_by = actor.name
    amendment.decided_in = version
    await log.append(
        db,
        document.engagement_id,
        AmendmentDecided(
            document_id=document.id,
            amendment_id=amendment.id,
            decision=decision,
            version=version,
            by=actor.name,
        ),
    )
    await tell_readers(db, document)
    await db.commit()
    return amendment


def _paragraph(texts: Texts, change: Change) -> str:
    """The paragraph a change replaces or deletes, as it stands (none for an insertion)."""
    return "" if change.action == "insert" else texts[change.language][change.paragraph - 1]


def _still_applies(texts: Texts, amendment: Amendment) -> None:
    """Refuse an amendment whose paragraph is no longer the one it was proposed to: the text
    moved or changed under it, and taking it in would change another paragraph."""
    paras = texts.get(amendment.language, [])
    if amendment.action is AmendmentAction.INSERT:
        if amendment.paragraph <= len(paras) + 1:
            return
    elif paras[amendment.paragraph - 1 : amendment.paragraph] == [amendment.original]:
        return
    raise Conflict(
        f"paragraph {amendment.paragraph} has changed since amendment {amendment.id} was "
        f"proposed to version {amendment.version}: merge it by hand into the text as it "
        "stands, or reject it"
    )


async def _new_version(
    db: AsyncSession,
    document: OutcomeDocument,
    texts: Texts,
    by: str,
    note: str,
    amendments: list[int] | None = None,
) -> DocumentVersion:
    number = 1 + int(
        await db.scalar(
            select(func.max(DocumentVersion.number)).where(
                DocumentVersion.document_id == document.id
            )
        )
        or 0
    )
    version = DocumentVersion(
        document_id=document.id,
        number=number,
        texts=texts,
        sha256=text_rules.digest(texts),
        made_by=by,
        note=note[:500],
    )
    db.add(version)
    await db.flush()
    await log.append(
        db,
        document.engagement_id,
        VersionMade(
            document_id=document.id,
            number=number,
            sha256=version.sha256,
            by=by,
            note=version.note,
            amendments=amendments or [],
        ),
    )
    return version
