"""What a verification says, in words: who signed, when, whether the file changed since, and
whether the certificate comes from an authority one trusts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # seals builds the findings and asks for their words
    from summitry.documents.seals import SignatureFinding


def explain_signature(number: int, total: int, found: SignatureFinding) -> str:
    """One signature in a sentence or three a protocol officer reads without a glossary."""
    who = f"{found.signer} ({found.organisation})" if found.organisation else found.signer
    when = ""
    if found.signed_at is not None:
        moment = found.signed_at.astimezone(dt.UTC)
        source = "a time-stamping service" if found.timestamped else "the signer's computer"
        when = f" on {moment.day} {moment:%B %Y at %H:%M} UTC (the time given by {source})"
    if not found.checked:
        state = "This signature could not be checked (it is damaged, or of a kind this tool "
        state += "does not read): do not rely on it."
    elif not found.intact:
        state = "The document WAS CHANGED after it was signed: this copy is not the one that "
        state += "was signed."
    elif not found.valid:
        state = "The signature does not match its certificate: it is not genuine."
    elif found.changed_after:
        state = "The document WAS CHANGED after this signature, by more than the signatures "
        state += "that followed it: ask for the copy as it was signed."
    elif found.covers_whole_file:
        state = "The document has not been changed since this signature."
    else:
        state = "The document has not been changed since this signature, except by the "
        state += "signatures added after it."
    if not (found.intact and found.valid):
        # pyHanko does not judge the certificate of a broken signature; neither do we.
        trust = f"Its certificate was issued by {found.issuer}."
    elif found.trusted:
        trust = f"The certificate was issued by {found.issuer} (trusted)."
    else:
        trust = f"The certificate was issued by {found.issuer}, which is not a trusted "
        trust += "authority here, or it is no longer valid: it does not prove who signed."
    return f"Signature {number} of {total}: signed by {who}{when}. {state} {trust}"
