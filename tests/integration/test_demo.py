"""The demo a new installation shows: 2020's online diplomacy, as a user would look it up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import Delegation, DelegationKind, Person
from summitry.demo import loader
from summitry.demo.loader import DEMO_EMAIL, DEMO_PASSWORD, DemoReport, load_demo
from summitry.engagements.models import (
    Confidentiality,
    Engagement,
    EngagementKind,
    EngagementStatus,
    Role,
)
from summitry.engagements.operations import get_engagement
from summitry.engagements.presentation import seat_times
from summitry.errors import InvalidInput
from summitry.security.operations import authenticate

UTC = dt.UTC


@pytest.fixture
async def demo(db: AsyncSession) -> DemoReport:
    return await load_demo(db)


async def engagement(db: AsyncSession, slug: str) -> Engagement:
    found = await db.scalar(select(Engagement.id).where(Engagement.slug == slug))
    assert found is not None, f"{slug} is not in the demo"
    return await get_engagement(db, found)


def who(e: Engagement) -> dict[str | None, tuple[str, Role]]:
    """Each attendee's name, with their delegation's code and their role."""
    by_id = {p.delegation.id: p.delegation.code for p in e.delegations}
    return {a.person.name: (by_id[a.person.delegation_id], a.role) for a in e.attendees}


async def count(db: AsyncSession, model: type[Engagement | Delegation | Person]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_demo_holds_34_engagements_of_2020(db: AsyncSession, demo: DemoReport) -> None:
    assert demo.engagements_added == 34
    assert demo.engagements_kept == 0
    assert demo.account_created
    assert await count(db, Engagement) == 34
    assert demo.delegations == await count(db, Delegation)
    assert demo.people == await count(db, Person)
    everything = list(await db.scalars(select(Engagement)))
    assert {e.status for e in everything} == {EngagementStatus.ENDED}
    assert {e.confidentiality for e in everything} == {Confidentiality.PUBLIC}
    assert {e.held_on.year for e in everything} == {2020}
    # Only facts are taken from the data: none of its sentences become the product's.
    assert {e.description for e in everything} == {""}
    assert all(e.sources for e in everything)


async def test_china_eu_meeting_shows_each_capitals_clock(
    db: AsyncSession, demo: DemoReport
) -> None:
    e = await engagement(db, "china-eu-leaders-meeting-2020-09-14")
    assert e.kind is EngagementKind.VIDEO_MEETING
    assert e.host is not None
    assert e.host.code == "EUCO"
    assert [p.delegation.code for p in e.delegations] == ["EUCO", "CN", "DE", "EUCOM"]
    people = who(e)
    assert people["Xi Jinping"][0] == "CN"
    assert people["Angela Merkel"][0] == "DE"
    assert people["Charles Michel"][0] == "EUCO"
    assert people["Ursula von der Leyen"][0] == "EUCOM"
    assert people["Josep Borrell"] == ("EUCOM", Role.DELEGATE)
    assert e.starts_at == dt.datetime(2020, 9, 14, 12, 0, tzinfo=UTC)
    assert e.ends_at is None  # no source gives its length
    clocks = {s.delegation.code: s.starts for s in seat_times(e)}
    assert clocks["CN"] is not None
    assert clocks["DE"] is not None
    assert (clocks["CN"].hour, clocks["CN"].minute) == (20, 0)
    assert (clocks["DE"].hour, clocks["DE"].minute) == (14, 0)
    assert str(clocks["CN"].tzinfo) == "Asia/Shanghai"
    assert str(clocks["DE"].tzinfo) == "Europe/Berlin"


async def test_g20_extraordinary_summit_has_no_known_hour(
    db: AsyncSession, demo: DemoReport
) -> None:
    e = await engagement(db, "g20-extraordinary-virtual-leaders-summit-2020-03-26")
    assert e.kind is EngagementKind.VIDEO_SUMMIT
    assert e.held_on == dt.date(2020, 3, 26)
    assert e.starts_at is None
    assert e.ends_at is None
    assert len(e.delegations) >= 30
    assert e.host is not None
    # The G20 has no seat; in 2020 its clock was the Saudi presidency's.
    assert (e.host.code, e.host.timezone) == ("G20", "Asia/Riyadh")
    assert e.delegations[0].delegation.code == "G20"
    assert who(e)["Salman bin Abdulaziz Al Saud"] == ("SA", Role.CHAIR)


async def test_names_the_sources_do_not_give_stay_unknown(
    db: AsyncSession, demo: DemoReport
) -> None:
    e = await engagement(db, "g20-extraordinary-virtual-leaders-summit-2020-03-26")
    argentina_id = next(p.delegation_id for p in e.delegations if p.delegation.code == "AR")
    argentina = next(a for a in e.attendees if a.person.delegation_id == argentina_id)
    assert argentina.person.name is None
    assert argentina.person.display_name.endswith("(name not confirmed)")
    assert argentina.role is Role.HEAD_OF_DELEGATION
    unnamed = await db.scalar(select(func.count(Person.id)).where(Person.name.is_(None)))
    assert (unnamed or 0) >= 20


async def test_wha73_opening_lists_its_languages(db: AsyncSession, demo: DemoReport) -> None:
    e = await engagement(db, "wha73-opening-2020-05-18")
    assert e.kind is EngagementKind.CEREMONY
    assert e.languages == ["zh", "fr", "ko"]
    assert e.starts_at == dt.datetime(2020, 5, 18, 10, 0, tzinfo=UTC)
    assert e.host is not None
    assert e.host.code == "WHO"


async def test_xi_guterres_call_is_a_telephone_call(db: AsyncSession, demo: DemoReport) -> None:
    e = await engagement(db, "xi-guterres-phone-call-2020-03-12")
    assert e.kind is EngagementKind.TELEPHONE_CALL
    assert e.host is None  # no source says who placed the call
    assert [p.delegation.code for p in e.delegations] == ["CN", "UN"]
    assert who(e) == {
        "Xi Jinping": ("CN", Role.HEAD_OF_DELEGATION),
        "António Guterres": ("UN", Role.HEAD_OF_DELEGATION),
    }


async def test_au_means_australia_or_the_african_union_by_title(
    db: AsyncSession, demo: DemoReport
) -> None:
    summit = await engagement(db, "india-australia-virtual-summit-2020-06-04")
    assert who(summit)["Scott Morrison"][0] == "AU"
    australia = next(p.delegation for p in summit.delegations if p.delegation.code == "AU")
    assert (australia.kind, australia.name) == (DelegationKind.STATE, "Australia")
    assert australia.timezone == "Australia/Sydney"  # Canberra's clock, not Lord Howe's
    vaccines = await engagement(db, "global-vaccine-summit-2020-06-04")
    assert who(vaccines)["Moussa Faki Mahamat"][0] == "AUC"
    union = next(p.delegation for p in vaccines.delegations if p.delegation.code == "AUC")
    assert (union.kind, union.name) == (DelegationKind.ORGANISATION, "African Union")
    # The data gives Bill Gates no delegation; he came for his foundation.
    assert who(vaccines)["Bill Gates"][0] == "BMGF"


async def test_chair_and_head_of_delegation(db: AsyncSession, demo: DemoReport) -> None:
    brics = who(await engagement(db, "brics-summit-2020-11-17"))
    assert brics["Vladimir Putin"] == ("RU", Role.CHAIR)
    assert brics["Nikolai Patrushev"] == ("RU", Role.DELEGATE)
    assert brics["Jair Bolsonaro"] == ("BR", Role.HEAD_OF_DELEGATION)
    # "chair of the African Union" is not the chair of this summit.
    africa = who(await engagement(db, "extraordinary-china-africa-summit-2020-06-17"))
    assert africa["Xi Jinping"] == ("CN", Role.CHAIR)
    assert africa["Cyril Ramaphosa"] == ("ZA", Role.HEAD_OF_DELEGATION)


async def test_the_same_person_is_recorded_once(db: AsyncSession, demo: DemoReport) -> None:
    xi = list(
        await db.scalars(
            select(Person).where(
                Person.name == "Xi Jinping",
                Person.office == "President of the People's Republic of China",
            )
        )
    )
    assert len(xi) == 1
    calls = [
        await engagement(db, "xi-guterres-phone-call-2020-03-12"),
        await engagement(db, "xi-trump-phone-call-2020-03-27"),
    ]
    assert {a.person_id for e in calls for a in e.attendees if a.person.name == "Xi Jinping"} == {
        xi[0].id
    }


async def test_known_start_and_length_give_the_end(db: AsyncSession, demo: DemoReport) -> None:
    e = await engagement(db, "climate-ambition-summit-2020-12-12")
    assert e.starts_at == dt.datetime(2020, 12, 12, 14, 0, tzinfo=UTC)
    assert e.ends_at == dt.datetime(2020, 12, 12, 19, 0, tzinfo=UTC)
    # A length without a start gives no end.
    saarc = await engagement(db, "saarc-leaders-video-conference-2020-03-15")
    assert (saarc.starts_at, saarc.ends_at) == (None, None)


async def test_loading_again_adds_nothing(db: AsyncSession, demo: DemoReport) -> None:
    before = (await count(db, Engagement), await count(db, Delegation), await count(db, Person))
    again = await load_demo(db, password="another password entirely")
    assert again.engagements_added == 0
    assert again.engagements_kept == 34
    assert not again.account_created
    assert (again.delegations, again.people) == (demo.delegations, demo.people)
    after = (await count(db, Engagement), await count(db, Delegation), await count(db, Person))
    assert after == before
    # The account keeps the password it was made with.
    account = await authenticate(db, DEMO_EMAIL, DEMO_PASSWORD)
    assert account.email == DEMO_EMAIL


async def test_a_faulty_entry_leaves_nothing_half_written(
    db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = next(e for e in loader.demo_entries() if e.id == "xi-lacalle-pou-phone-call-2020-09-09")
    uruguay = call.participants[1]
    faulty = call.model_copy(update={"participants": [*call.participants, uruguay]})
    monkeypatch.setattr(loader, "demo_entries", lambda: [faulty])
    with pytest.raises(InvalidInput, match="twice"):
        await load_demo(db)
    assert await count(db, Engagement) == 0
    assert await db.scalar(select(Delegation).where(Delegation.code == "UY")) is None
    assert await db.scalar(select(Person).where(Person.name == uruguay.name)) is None


async def test_the_demo_holds_the_eu_china_agreement_on_geographical_indications_signed(
    db: AsyncSession, demo: DemoReport
) -> None:
    import asyncio

    from summitry.demo.outcomes import SLUG, signed_agreement
    from summitry.documents import seals
    from summitry.documents.authority import passphrase_from, root_pem
    from summitry.documents.models import DocumentStage, SignedCopy
    from summitry.documents.signing import signing_authority

    passphrase = passphrase_from("demo-secret-key-long-enough-for-the-signing-authority")
    agreement = await signed_agreement(db, "Summitry demo", passphrase)
    assert agreement is not None
    assert agreement.stage is DocumentStage.SIGNED
    assert agreement.parties == ["CN", "EUCOM"]
    assert (await engagement(db, SLUG)).id == agreement.engagement_id
    again = await signed_agreement(db, "Summitry demo", passphrase)
    assert again is not None
    assert again.id == agreement.id  # loading the demo twice signs nothing twice

    copies = list(
        await db.scalars(
            select(SignedCopy)
            .where(SignedCopy.document_id == agreement.id)
            .order_by(SignedCopy.revision)
        )
    )
    assert [(c.revision, c.delegation) for c in copies] == [(0, None), (1, "CN"), (2, "EUCOM")]
    root = root_pem(await signing_authority(db, "Summitry demo", passphrase))
    found = await asyncio.to_thread(seals.verify, copies[-1].pdf, [root])
    assert [s.signer for s in found.signatures] == ["Xi Jinping", "Ursula von der Leyen"]
    assert found.all_good, found.explain()
