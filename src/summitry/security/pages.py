"""Pages for signing in and out, and the door that a personal invitation link opens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from summitry.db import intend_to_write
from summitry.deps import Db
from summitry.errors import SummitryError
from summitry.security import operations
from summitry.security.sessions import remember_invitation, sign_in, sign_out
from summitry.web.forms import FormErrors, read_form, text
from summitry.web.rendering import render

router = APIRouter()


@router.get("/login")
async def login_page(request: Request) -> Response:
    return render(request, "security/login.html", email="", errors=FormErrors())


@router.post("/login")
async def login(request: Request, db: Db) -> Response:
    form = await read_form(request)
    email, password = text(form, "email"), str(form.get("password") or "")
    errors = FormErrors()
    if not email:
        errors.fields["email"] = "Enter the e-mail address of your secretariat account"
    if not password:
        errors.fields["password"] = "Enter your password"  # noqa: S105 - a message, not a secret
    if not errors:
        try:
            account = await operations.authenticate(db, email, password)
        except SummitryError as err:
            errors.general.append(err.message[:1].upper() + err.message[1:])
        else:
            await sign_in(db, request, account.id)
            return RedirectResponse("/engagements", status_code=303)
    return render(
        request,
        "security/login.html",
        status_code=401 if errors.general else 422,
        email=email,
        errors=errors,
    )


@router.post("/logout")
async def logout(request: Request, db: Db) -> Response:
    await read_form(request)
    await sign_out(db, request)
    return RedirectResponse("/login", status_code=303)


@router.get("/invitation/{token}")
async def open_invitation(token: str, request: Request, db: Db) -> Response:
    """Open a personal link, then leave its address at once so the token is not kept in view."""
    await intend_to_write(db)  # a GET that writes: on SQLite it queues for the write lock
    invitation = await operations.open_invitation(db, token)
    await remember_invitation(db, request, invitation.id)
    return RedirectResponse(f"/engagements/{invitation.attendee.engagement_id}", status_code=303)
