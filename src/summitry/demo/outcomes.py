"""The demo's outcome document: the EU–China agreement on geographical indications, signed in
2020 on the margins of the leaders' video meeting of 14 September, here drafted, adopted and
signed by each party's head of delegation with certificates from the demo's own signing
authority.

The text is a short summary of what the sources of that engagement report (the Commission's
daily news and Xinhua), not the agreement's authentic text; the document says so.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.documents import adoption, drafting, signing
from summitry.documents.actors import Actor
from summitry.documents.models import DocumentKind, OutcomeDocument, ProcedureKind
from summitry.engagements.models import Engagement, Role
from summitry.engagements.operations import get_engagement

SLUG = "china-eu-leaders-meeting-2020-09-14"
TITLE = (
    "Agreement between the European Union and the People's Republic of China on cooperation "
    "on, and protection of, geographical indications"
)
PARTIES = ["CN", "EUCOM"]  # the Commission signs the Union's trade agreements
ENGLISH = "\n\n".join(
    (
        "Summary for the demonstration, from the sources of this engagement; the authentic "
        "text is the one published by the Parties.",
        "The European Union and the People's Republic of China conclude this Agreement on "
        "cooperation on, and protection of, geographical indications.",
        "Each Party protects one hundred geographical indications of the other Party against "
        "imitation and usurpation when the Agreement enters into force.",
        "The protection is extended to one hundred and seventy-five further names of each "
        "Party within four years of the entry into force.",
        "The Agreement was signed on 14 September 2020, on the occasion of the leaders' "
        "meeting held by video conference.",
    )
)
CHINESE = """演示用摘要，依据本次会晤的资料来源；作准文本以双方公布的文本为准。

欧洲联盟与中华人民共和国缔结本地理标志合作与保护协定。

协定生效时，双方各自保护对方一百个地理标志，防止仿冒和假冒。

协定生效后四年内，保护范围扩大至双方各一百七十五个地理标志。

本协定于二〇二〇年九月十四日在领导人视频会晤之际签署。"""
SECRETARIAT = Actor("Summitry demo secretariat", True)


async def signed_agreement(
    db: AsyncSession, authority_name: str, passphrase: bytes
) -> OutcomeDocument | None:
    """The agreement drafted, adopted by consensus and signed by both parties, once: an
    existing one is left as it is. ``None`` if the demo engagement is not there."""
    engagement_id = await db.scalar(select(Engagement.id).where(Engagement.slug == SLUG))
    if engagement_id is None:
        return None
    existing = await db.scalar(
        select(OutcomeDocument).where(OutcomeDocument.engagement_id == engagement_id)
    )
    if existing is not None:
        return existing
    draft = drafting.Draft(
        kind=DocumentKind.AGREEMENT,
        title=TITLE,
        texts={"en": ENGLISH, "zh": CHINESE},
        parties=PARTIES,
    )
    document = await drafting.draft(db, SECRETARIAT, engagement_id, draft)
    procedure = await adoption.open_procedure(
        db, SECRETARIAT, document, ProcedureKind.CONSENSUS, None
    )
    await adoption.gavel(db, SECRETARIAT, document, procedure)
    await signing.prepare_copy(db, SECRETARIAT, document)
    for actor in await _heads(db, engagement_id):
        await signing.sign(
            db,
            actor,
            document,
            authority_name=authority_name,
            passphrase=passphrase,
            timestamp_url=None,
        )
    return document


async def _heads(db: AsyncSession, engagement_id: int) -> list[Actor]:
    """Each party's head of delegation, as the one who signs for it."""
    engagement = await get_engagement(db, engagement_id)
    heads = {
        a.person.delegation.code: a
        for a in engagement.attendees
        if a.role is Role.HEAD_OF_DELEGATION and a.person.delegation.code in PARTIES
    }
    return [
        Actor(
            heads[code].person.display_name,
            False,
            Role.HEAD_OF_DELEGATION,
            code,
            heads[code].person_id,
            heads[code].person.delegation.name,
            heads[code].person.office,
        )
        for code in PARTIES
        if code in heads
    ]
