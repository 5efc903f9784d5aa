from __future__ import annotations

import httpx


async def test_healthz_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_secretariat_plans_an_engagement(secretariat: httpx.AsyncClient) -> None:
    for code, kind in (("CN", "state"), ("DE", "state"), ("EUCO", "organisation")):
        r = await secretariat.post("/api/v1/delegations", json={"code": code, "kind": kind})
        assert r.status_code == 201, r.text
    r = await secretariat.post(
        "/api/v1/engagements",
        json={
            "title": "China–EU leaders' meeting",
            "starts_at": "2020-09-14T14:00:00+02:00",
            "host": "EUCO",
            "delegations": ["CN", "DE"],
            "languages": ["zh", "de", "en"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    times = {t["delegation"]: t["starts_local"] for t in body["local_times"]}
    assert times["CN"].startswith("2020-09-14T20:00:00+08:00")
    assert times["EUCO"].startswith("2020-09-14T14:00:00+02:00")
    assert [d["code"] for d in body["delegations"]] == ["EUCO", "CN", "DE"]
