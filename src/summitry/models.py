"""Every table, imported in one place so that metadata and migrations see them all."""

from summitry.delegations.models import Delegation, Person
from summitry.documents.models import (
    Amendment,
    Ballot,
    DocumentVersion,
    OutcomeDocument,
    Procedure,
    SignedCopy,
    SigningAuthority,
    SigningCertificate,
)
from summitry.engagements.models import AgendaItem, Attendee, Engagement, Participation
from summitry.interpretation.models import LanguageChannel
from summitry.leases import LeaseRow
from summitry.log.models import LiveEvent
from summitry.media.models import MediaRoom
from summitry.meeting.models import MediaGrant
from summitry.notices.models import Notice, NoticeMail
from summitry.records.minutes_models import MinutesDraft, MinutesVersion
from summitry.records.readout_models import (
    FULL_TEXT_INDEX,
    FULL_TEXT_TABLE,
    Readout,
    ReadoutVersion,
    RecordIndexMark,
    RecordText,
)
from summitry.security.models import Account, Invitation
from summitry.telephony.models import TelephoneLine, TelephonePin


def described(name: str | None, kind: str, _parents: object) -> bool:
    """Whether the models describe this object: not the full-text index each database keeps
    in its own way, which a migration makes (Alembic's ``include_name``)."""
    if kind == "index":
        return name != FULL_TEXT_INDEX
    return not (kind == "table" and (name or "").startswith(FULL_TEXT_TABLE))


__all__ = [
    "Account",
    "AgendaItem",
    "Amendment",
    "Attendee",
    "Ballot",
    "Delegation",
    "DocumentVersion",
    "Engagement",
    "Invitation",
    "LanguageChannel",
    "LeaseRow",
    "LiveEvent",
    "MediaGrant",
    "MediaRoom",
    "MinutesDraft",
    "MinutesVersion",
    "Notice",
    "NoticeMail",
    "OutcomeDocument",
    "Participation",
    "Person",
    "Procedure",
    "Readout",
    "ReadoutVersion",
    "RecordIndexMark",
    "RecordText",
    "SignedCopy",
    "SigningAuthority",
    "SigningCertificate",
    "TelephoneLine",
    "TelephonePin",
    "described",
]
