"""An outcome document adopted and ready for its copy, and refusals as the API words them:
shared by the signing tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from summitry.engagements.models import Engagement

TEXT = "The Parties agree.\n\nThey sign in three languages."


def refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]


@pytest.fixture
async def adopted(
    secretariat: httpx.AsyncClient, make_engagement: Callable[..., Awaitable[Engagement]]
) -> tuple[Engagement, str]:
    """An engagement of China, the European Council and Germany, and the address of an
    agreement they adopted by consensus."""
    engagement = await make_engagement(("CN", "EUCO", "DE"))
    api = f"/api/v1/engagements/{engagement.id}/documents"
    made = await secretariat.post(
        api,
        json={"kind": "agreement", "title": "Agreement", "texts": {"en": TEXT, "zh": "双方同意。"}},
    )
    document = f"{api}/{made.json()['id']}"
    opened = await secretariat.post(f"{document}/procedures", json={"kind": "consensus"})
    await secretariat.post(f"{document}/procedures/{opened.json()['id']}/gavel")
    return engagement, document
