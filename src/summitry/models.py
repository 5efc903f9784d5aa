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
from summitry.security.models import Account, Invitation
from summitry.telephony.models import TelephoneLine, TelephonePin

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
    "SignedCopy",
    "SigningAuthority",
    "SigningCertificate",
    "TelephoneLine",
    "TelephonePin",
]
