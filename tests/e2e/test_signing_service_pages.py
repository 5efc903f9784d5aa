"""A head of delegation signs, in Chromium, with the PIN of their ministry's signing service
(a real CSC service on loopback): a wrong PIN is refused in words and nothing is signed; the
right one signs, and the ceremony shows it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, serve, sign_in
from tests.e2e.test_document_pages import ENGLISH, confirm
from tests.e2e.test_floor_meeting import invite_heads
from tests.support.signing_service import CREDENTIAL, PIN, TOKEN, SigningService, signing_service

LABEL = "the Ruritanian signing service"


@pytest.fixture
def ministry_service() -> Iterator[SigningService]:
    with signing_service() as service:
        yield service


@pytest.fixture
def served(tmp_path: Path, ministry_service: SigningService) -> Iterator[LiveServer]:
    services = [{"name": "ruritania", "url": ministry_service.url, "label": LABEL}]
    with serve(tmp_path, settings={"SUMMITRY_SIGNING_SERVICES": json.dumps(services)}) as server:
        yield server


def test_a_head_of_delegation_signs_with_the_pin_of_the_ministrys_service(
    served: LiveServer, ministry_service: SigningService, new_page: Callable[..., Page]
) -> None:
    secretariat = new_page(1280, 900)
    sign_in(secretariat, served)
    api = f"{served.url}/api/v1"
    made = secretariat.request.post(
        f"{api}/engagements",
        data={
            "title": "Signing at a distance",
            "starts_at": "2026-12-14T14:00:00+01:00",
            "delegations": ["CN", "EUCO"],
        },
    )
    assert made.status == 201, made.text()
    engagement = made.json()["id"]
    links = invite_heads(secretariat, served, engagement, {"EUCO": ("Ana Flores", "President")})
    documents = f"{api}/engagements/{engagement}/documents"
    document = secretariat.request.post(
        documents, data={"kind": "agreement", "title": "Agreement", "texts": {"en": ENGLISH}}
    ).json()["id"]
    consensus = secretariat.request.post(
        f"{documents}/{document}/procedures", data={"kind": "consensus"}
    ).json()["id"]
    gavel = secretariat.request.post(f"{documents}/{document}/procedures/{consensus}/gavel")
    assert gavel.status == 200, gavel.text()
    assert secretariat.request.post(f"{documents}/{document}/copy").status == 201
    linked = secretariat.request.post(
        f"{documents}/certificates/service",
        data={
            "attendee_id": links["EUCO"][0],
            "service": "ruritania",
            "credential_id": CREDENTIAL,
            "token": TOKEN,
        },
    )
    assert linked.status == 201, linked.text()

    head = new_page(1100, 800)
    head.goto(links["EUCO"][1])
    head.goto(f"{served.url}/engagements/{engagement}/documents/{document}/signing")
    card = head.get_by_role("article", name="European Council")
    pin = card.get_by_label(f"PIN for {LABEL}")
    expect(pin).to_be_visible()
    pin.fill("000000")
    card.get_by_role("button", name="Sign for European Council").click()
    confirm(head, "Sign for European Council")
    expect(card.get_by_role("alert")).to_contain_text("refused the PIN")
    expect(card).to_contain_text("Awaiting signature")
    screenshot(head, "46-signing-with-a-services-pin")

    card.get_by_label(f"PIN for {LABEL}").fill(PIN)
    card.get_by_role("button", name="Sign for European Council").click()
    confirm(head, "Sign for European Council")
    expect(card).to_contain_text("Signed by", timeout=10_000)
    expect(card).to_contain_text("Ana Flores")
    assert [path for path, _ in ministry_service.calls].count("/csc/v1/signatures/signHash") == 1
