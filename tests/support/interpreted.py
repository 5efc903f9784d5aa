"""An interpreted meeting planned over the API of a real Summitry: two booths, four delegations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.conftest import SECRETARY_EMAIL, SECRETARY_PASSWORD, LiveServer


@dataclass
class Person:
    client: httpx.AsyncClient
    attendee_id: int


async def signed_in(server: LiveServer) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=20)
    made = await client.post(
        "/api/v1/session", json={"email": SECRETARY_EMAIL, "password": SECRETARY_PASSWORD}
    )
    assert made.status_code == 200, made.text
    return client


class Meeting:
    """An engagement in English, French and German with two booths, planned over the API."""

    def __init__(self, server: LiveServer, secretariat: httpx.AsyncClient) -> None:
        self.server = server
        self.secretariat = secretariat
        self.id = 0
        self.people: dict[str, Person] = {}

    @property
    def api(self) -> str:
        return f"/api/v1/engagements/{self.id}"

    async def plan(self) -> None:
        made = await self.secretariat.post(
            "/api/v1/engagements",
            json={
                "title": "Leaders' meeting on vaccine supply",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "delegations": ["GB", "FR", "DE", "CN"],
                "languages": ["en", "fr", "de"],
                "agenda": ["Statements — no limit"],
            },
        )
        assert made.status_code == 201, made.text
        self.id = made.json()["id"]
        await self.secretariat.post(f"{self.api}/live/enter")
        for key, code, role, language, booth in (
            ("speaker", "GB", "head_of_delegation", "en", None),
            ("france", "FR", "head_of_delegation", "fr", None),
            ("germany", "DE", "head_of_delegation", "de", None),
            ("china", "CN", "head_of_delegation", "zh", None),
            ("b1", "GB", "interpreter", "fr", "fr"),
            ("b2", "GB", "interpreter", "fr", "fr"),
            ("c", "GB", "interpreter", "de", "de"),
        ):
            await self.invite(key, code, role, language, booth)

    async def invite(
        self, key: str, code: str, role: str, language: str, booth: str | None
    ) -> None:
        person = await self.secretariat.post(
            f"/api/v1/delegations/{code}/people",
            json={"name": f"{key.title()} {code}", "office": role, "language": language},
        )
        assert person.status_code == 201, person.text
        attendee = await self.secretariat.post(
            f"{self.api}/attendees",
            json={"person_id": person.json()["id"], "role": role, "booth": booth},
        )
        assert attendee.status_code == 201, attendee.text
        attendee_id = attendee.json()["id"]
        issued = await self.secretariat.post(f"{self.api}/attendees/{attendee_id}/invitations")
        token = issued.json()["url"].rstrip("/").rsplit("/", 1)[-1]
        client = httpx.AsyncClient(base_url=self.server.url, timeout=20)
        opened = await client.post("/api/v1/session/invitation", json={"token": token})
        assert opened.status_code == 200, opened.text
        assert (await client.post(f"{self.api}/live/enter")).status_code == 200
        admitted = await self.secretariat.post(f"{self.api}/live/participants/{attendee_id}/admit")
        assert admitted.status_code == 200, admitted.text
        self.people[key] = Person(client, attendee_id)

    async def get(self, key: str, path: str) -> dict[str, Any]:
        reply = await self.people[key].client.get(f"{self.api}/{path}")
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    async def send(self, key: str, method: str, path: str, body: Any = None) -> httpx.Response:
        client = self.secretariat if key == "secretariat" else self.people[key].client
        return await client.request(method, f"{self.api}/{path}", json=body)

    async def close(self) -> None:
        for person in self.people.values():
            await person.client.aclose()
