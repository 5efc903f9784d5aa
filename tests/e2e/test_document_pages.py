"""Outcome documents in the browser: a text negotiated on every screen, adopted by consensus
after a broken silence, and a written vote followed by a signing ceremony whose file verifies
with pyHanko and with poppler's pdfsig; a silence procedure that ends while the server is down
adopts the text when it is back, as of its deadline.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from summitry.documents import seals
from tests.e2e.conftest import (
    SECRETARY_EMAIL,
    SECRETARY_PASSWORD,
    LiveServer,
    screenshot,
    serve,
    sign_in,
)
from tests.e2e.test_floor_meeting import invite_heads
from tests.support.mail import Mailbox, mail_server

pytestmark = pytest.mark.e2e

HEADS = {
    "EUCO": ("Charles Michel", "President of the European Council"),
    "CN": ("Xi Jinping", "President of the People's Republic of China"),
    "DE": ("Angela Merkel", "Federal Chancellor"),
}
ENGLISH = (
    "The leaders welcome the signature of the agreement on geographical indications.\n\n"
    "They will protect one hundred names of each side.\n\n"
    "They will meet again before the end of the year."
)
CHINESE = "\n\n".join(
    (
        "一、领导人欢迎签署地理标志协定。",
        "二、双方各保护一百个地理标志。",
        "三、双方将在年底前再次会晤。",
    )
)


def plan(page: Page, server: LiveServer) -> tuple[int, dict[str, str]]:
    made = page.request.post(
        f"{server.url}/api/v1/engagements",
        data={
            "title": "EU–China leaders' meeting by video conference",
            "starts_at": "2026-12-14T14:00:00+01:00",
            "host": "EUCO",
            "delegations": ["EUCO", "CN", "DE"],
            "languages": ["en", "zh"],
        },
    )
    assert made.status == 201, made.text()
    engagement = made.json()["id"]
    links = {code: url for code, (_, url) in invite_heads(page, server, engagement, HEADS).items()}
    return engagement, links


def verified(pdf: bytes, root: bytes) -> seals.Verification:
    """pyHanko's verdict, from a thread: it runs an event loop of its own, and Playwright's
    may be running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(seals.verify, pdf, [root]).result()


def confirm(page: Page, button: str) -> None:
    """Go ahead in the dialog that asks before what cannot be taken back."""
    page.get_by_role("dialog").get_by_role("button", name=button).click()


def test_a_text_is_negotiated_on_every_screen_silence_broken_and_consensus_found(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    secretariat = new_page(1280, 900)
    sign_in(secretariat, plain_server)
    engagement, links = plan(secretariat, plain_server)

    secretariat.goto(f"{plain_server.url}/engagements/{engagement}/documents")
    secretariat.get_by_label("Title").fill("Joint statement of the leaders")
    secretariat.get_by_label("Text in English").fill(ENGLISH)
    secretariat.get_by_label("Text in Chinese").fill(CHINESE)
    secretariat.get_by_role("button", name="Draft the document").click()
    expect(
        secretariat.get_by_role("heading", name="Joint statement of the leaders")
    ).to_be_visible()
    document_url = secretariat.url

    china = new_page(1100, 900)
    china.goto(links["CN"])
    china.goto(document_url)
    china.get_by_label("Paragraph").fill("2")
    china.get_by_label("Wording").fill(
        "They will protect one hundred names of each side, and 175 more within four years."
    )
    china.get_by_label("Contested: put it in square brackets").check()
    china.get_by_role("button", name="Propose").click()

    # Without reloading, the secretariat sees who proposed what.
    amendments = secretariat.locator("[data-live=amendments]")
    expect(amendments).to_contain_text("China", timeout=3000)
    expect(amendments).to_contain_text("175 more within four years")
    # The parts are swapped before the refresh marks the paragraph on screen and counts itself.
    secretariat.wait_for_function("window.summitryDocuments.refreshed >= 1", timeout=3000)
    screenshot(secretariat, "40-document-drafting")
    amendments.get_by_role("button", name="Accept").click()
    expect(china.get_by_role("heading", name=re.compile("Version 2"))).to_be_visible(timeout=3000)
    expect(china.locator("mark.bracket")).to_contain_text("[They will protect")

    # The meeting: the chair's text on every screen, edited as agreed, seen at once.
    meeting = f"{plain_server.url}/engagements/{engagement}/meeting"
    china.goto(meeting)
    china.get_by_role("button", name="Join the meeting").click()
    desk = new_page(1280, 900)
    desk.context.add_cookies(secretariat.context.cookies())
    desk.goto(meeting)
    desk.get_by_role("button", name="Join the meeting").click()
    desk.get_by_role("button", name=re.compile("Admit: .*Xi Jinping")).click()
    expect(china.locator("main.room")).to_be_visible()

    secretariat.locator("#p-2").get_by_role("button", name="Show on every screen").click()
    on_screen = china.locator("#text-on-screen")
    expect(on_screen).to_be_visible(timeout=3000)
    expect(on_screen.locator("li.current")).to_contain_text("175 more within four years")
    secretariat.locator("#p-2").get_by_role("button", name="Edit as agreed").click()
    secretariat.get_by_label("Paragraph 2").fill(
        "They will protect one hundred names of each side, and 175 more within four years."
    )
    started = time.monotonic()
    secretariat.get_by_role("button", name="Save as a new version").click()
    expect(on_screen).to_contain_text("Version 3", timeout=3000)
    print(f"edit seen on the delegate's meeting screen after {time.monotonic() - started:.2f} s")
    expect(on_screen.locator("li.current")).not_to_contain_text("[")
    screenshot(china, "44-meeting-text-on-screen")

    secretariat.goto(f"{document_url}/compare?from=1&to=3")
    expect(secretariat.locator(".diff ins").first).to_contain_text("175 more within four years")
    expect(secretariat.locator(".diff del").first).to_be_visible()
    screenshot(secretariat, "41-document-diff")

    # A silence procedure, broken by China in writing.
    secretariat.goto(document_url)
    secretariat.get_by_label("Silence procedure").check()
    secretariat.get_by_label(re.compile("how many hours")).fill("72")
    secretariat.get_by_role("button", name="Open the procedure").click()
    expect(
        secretariat.get_by_role("heading", name=re.compile("Silence procedure on version 3"))
    ).to_be_visible()
    capitals = secretariat.get_by_role("table", name="The deadline in each capital")
    expect(capitals).to_contain_text("Asia/Shanghai")
    china.goto(secretariat.url)
    china.get_by_label("Reason, in writing").fill("Paragraph 3 needs a date.")
    china.get_by_role("button", name="Break silence").click()
    confirm(china, "Break silence")
    expect(secretariat.locator("[data-live=procedure]")).to_contain_text(
        "Paragraph 3 needs a date.", timeout=3000
    )
    expect(secretariat.locator("[data-live=procedure]")).to_contain_text("Silence broken by CN")

    # Consensus under the gavel.
    secretariat.goto(document_url)
    secretariat.get_by_label("Consensus in the meeting").check()
    secretariat.get_by_role("button", name="Open the procedure").click()
    secretariat.get_by_role("button", name="Strike the gavel: adopted").click()
    confirm(secretariat, "Strike the gavel: adopted")
    expect(secretariat.locator("[data-live=procedure]")).to_contain_text(
        "Adopted by consensus", timeout=3000
    )
    expect(china.locator(".stage-steps [aria-current=step]")).to_have_text("Adopted", timeout=3000)

    # China's head of delegation finds each step among the notices to the delegation.
    china.goto(f"{plain_server.url}/my")
    notices = china.get_by_role("region", name="Notices to your delegation")
    expect(notices.locator("li")).to_have_count(3)
    expect(notices.locator("li").first).to_contain_text("adopted by consensus")
    expect(notices.locator("li").nth(1)).to_contain_text("silence broken by CN")
    expect(notices.locator("li").nth(2)).to_contain_text("in your capital")
    screenshot(china, "45-my-engagements-notices")


def test_a_written_vote_then_three_signatures_that_both_tools_verify(
    plain_server: LiveServer, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    secretariat = new_page(1280, 900)
    sign_in(secretariat, plain_server)
    engagement, links = plan(secretariat, plain_server)
    api = f"{plain_server.url}/api/v1/engagements/{engagement}/documents"
    made = secretariat.request.post(
        api,
        data={
            "kind": "agreement",
            "title": "Agreement on geographical indications",
            "texts": {"en": ENGLISH, "zh": CHINESE},
        },
    )
    assert made.status == 201, made.text()
    document = made.json()["id"]
    vote = secretariat.request.post(
        f"{api}/{document}/procedures", data={"kind": "written_vote", "hours": 24}
    )
    pages = f"{plain_server.url}/engagements/{engagement}/documents/{document}"
    procedure_url = f"{pages}/procedures/{vote.json()['id']}"
    secretariat.goto(procedure_url)

    heads: dict[str, Page] = {}
    for code, choice in (("CN", "Yes"), ("DE", "Abstain"), ("EUCO", "Yes")):
        head = new_page(1100, 900)
        head.goto(links[code])
        head.goto(procedure_url)
        head.get_by_label(choice).check()
        if code == "CN":
            screenshot(head, "42-document-ballot")
        head.get_by_role("button", name="Cast the ballot").click()
        confirm(head, "Cast the ballot")
        expect(head.locator("[data-live=procedure]")).to_contain_text(
            head_name := HEADS[code][0], timeout=3000
        )
        assert head_name
        heads[code] = head
    expect(secretariat.locator("[data-tally=yes]")).to_have_text("2", timeout=3000)
    expect(secretariat.locator("[data-tally=abstain]")).to_have_text("1")
    expect(secretariat.locator("[data-tally=absent]")).to_have_text("0")
    expect(secretariat.locator("[data-live=procedure]")).to_contain_text(
        "Adopted: 2 yes, 0 no, 1 abstaining, 0 absent"
    )

    signing = f"{pages}/signing"
    secretariat.goto(signing)
    secretariat.get_by_role("button", name="Prepare the copy for signature (PDF/A)").click()
    expect(secretariat.get_by_text("0 of 3 signatures")).to_be_visible(timeout=5000)
    for code in ("EUCO", "CN", "DE"):
        head = heads[code]
        head.goto(signing)
        name = {"EUCO": "European Council", "CN": "China", "DE": "Germany"}[code]
        head.get_by_role("button", name=f"Sign for {name}").click()
        confirm(head, f"Sign for {name}")
        card = secretariat.locator(f"[data-party={code}]")
        expect(card).to_contain_text(f"Signed by H.E. {HEADS[code][0]}", timeout=5000)
    expect(secretariat.locator(".seal-card.signed")).to_have_count(3)
    screenshot(secretariat, "43-document-signing")

    pdf = secretariat.request.get(f"{api}/{document}/pdf").body()
    root = httpx.get(f"{plain_server.url}/api/v1/signing/root.pem").content
    found = verified(pdf, root)
    assert [s.signer for s in found.signatures] == [
        f"H.E. {HEADS[c][0]}" for c in ("EUCO", "CN", "DE")
    ]
    assert found.all_good, found.explain()
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(pdf)
    (tmp_path / "root.pem").write_bytes(root)
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{nss}",
            "-n",
            "summitry",
            "-t",
            "C,C,C",
            "-i",
            str(tmp_path / "root.pem"),
        ],
        check=True,
    )
    report = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(signed)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert report.count("Signature is Valid.") == 3, report
    assert report.count("Certificate is Trusted.") == 3, report

    altered = bytearray(pdf)
    at = altered.index(b"stream", 1000) + 20  # inside the first page's content, signed by all
    altered[at] ^= 0x01
    signed.write_bytes(bytes(altered))
    report = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(signed)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "Signature is Valid." not in report, report
    assert not verified(bytes(altered), root).all_good
    refused = secretariat.request.post(
        f"{api}/{document}/check", data={"pdf_base64": base64.b64encode(bytes(altered)).decode()}
    )
    assert refused.status == 409
    assert "not a copy the record fixed" in refused.json()["error"]["message"]
    good = secretariat.request.post(
        f"{api}/{document}/check", data={"pdf_base64": base64.b64encode(pdf).decode()}
    )
    assert good.json()["all_good"] is True
    assert good.json()["revision"] == 3


def test_a_silence_that_ends_while_the_server_is_down_adopts_the_text_as_of_its_deadline(
    tmp_path: Path,
) -> None:
    """And every party's delegation is told by e-mail: of the procedure before the server
    went down, of the adoption after it came back (a real SMTP server on loopback)."""
    with (
        mail_server() as (mail_url, mailbox),
        serve(tmp_path, settings={"SUMMITRY_MAIL_URL": mail_url}) as server,
    ):
        _silence_across_a_restart(server, mailbox)


def _silence_across_a_restart(server: LiveServer, mailbox: Mailbox) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        signed_in = client.post(
            "/api/v1/session", json={"email": SECRETARY_EMAIL, "password": SECRETARY_PASSWORD}
        )
        assert signed_in.status_code == 200
        engagement = client.post(
            "/api/v1/engagements",
            json={
                "title": "Silence across a restart",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "delegations": ["CN", "DE"],
            },
        ).json()["id"]
        for code, address in (("CN", "head@cn.example"), ("DE", "head@de.example")):
            person = client.post(
                f"/api/v1/delegations/{code}/people",
                json={"name": f"Head of {code}", "office": "Minister", "email": address},
            )
            assert person.status_code == 201, person.text
            attendee = client.post(
                f"/api/v1/engagements/{engagement}/attendees",
                json={"person_id": person.json()["id"], "role": "head_of_delegation"},
            )
            assert attendee.status_code == 201, attendee.text
        api = f"/api/v1/engagements/{engagement}/documents"
        document = client.post(
            api,
            json={
                "kind": "communique",
                "title": "Communiqué",
                "texts": {"en": ENGLISH},
                "confidential": False,
            },
        ).json()["id"]
        opened = client.post(
            f"{api}/{document}/procedures", json={"kind": "silence", "hours": 6 / 3600}
        )
        assert opened.status_code == 201, opened.text
        deadline = dt.datetime.fromisoformat(opened.json()["deadline"])
        told = mailbox.wait_for(2, seconds=4)
        server.kill()
    assert sorted(rcpt for rcpt, _ in told) == [["head@cn.example"], ["head@de.example"]]
    assert all(m["Subject"].startswith("Silence procedure on “Communiqué”") for _, m in told)
    time.sleep(max(0.0, (deadline - dt.datetime.now(dt.UTC)).total_seconds()) + 2)
    server.restart()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.post(
            "/api/v1/session", json={"email": SECRETARY_EMAIL, "password": SECRETARY_PASSWORD}
        )
        shown = client.get(f"{api}/{document}/procedures/{opened.json()['id']}").json()
        for _ in range(20):
            if shown["status"] != "open":
                break
            time.sleep(0.25)
            shown = client.get(f"{api}/{document}/procedures/{opened.json()['id']}").json()
        assert shown["status"] == "adopted", shown
        assert dt.datetime.fromisoformat(shown["closed_at"]) == deadline
        assert client.get(f"{api}/{document}").json()["stage"] == "adopted"
    adopted = mailbox.wait_for(4)[2:]
    assert sorted(rcpt for rcpt, _ in adopted) == [["head@cn.example"], ["head@de.example"]]
    for _, letter in adopted:
        assert letter["Subject"] == "“Communiqué”: adopted by silence procedure"
        assert f"ended at {deadline:%Y-%m-%d %H:%M} UTC" in letter.get_content()
