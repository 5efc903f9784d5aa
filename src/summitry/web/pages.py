"""Every server-rendered page, gathered from the capabilities."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
