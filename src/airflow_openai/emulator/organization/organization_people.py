"""Who belongs to the organization: its users and the invites that make new ones.

An invite is `pending` until accepted (on the control plane: accepting is done by the
invitee, not through the API) and `expired` once `expires_at` (7 days after it was sent)
has passed on the emulator clock. Accepting makes the invitee a user with the invite's role
and writes `invite.accepted` and `user.added`, both in the invitee's session. Removing a user
takes them out of every project with their API keys.

The admin key acts as the owner, so the owner can be neither demoted nor removed: the
organization always keeps an owner, and the admin key someone to act as.
"""

from __future__ import annotations

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.organization import audit_log, directory
from airflow_openai.emulator.organization import organization as org
from airflow_openai.emulator.organization.directory import INVITES, USERS

INVITE_SECONDS = 7 * 86400


def user_by_email(state: EmulatorState, email: str) -> Obj | None:
    org.ensure(state)
    folded = email.casefold()
    return next(
        (user for user in state.store.all(org.USER) if user["email"].casefold() == folded),
        None,
    )


def users(state: EmulatorState) -> list[Obj]:
    org.ensure(state)
    return org.oldest_first(state, org.USER)


def update_user(state: EmulatorState, user_id: str, role: str) -> Obj:
    with state.store.locked():
        user = directory.get_or_404(state, USERS, user_id)
        _refuse_owner_change(user_id, "change the role of")
        directory.change_role(state, USERS, user, role)
    return public(user)


def delete_user(state: EmulatorState, user_id: str) -> Obj:
    """The user leaves every project, and their API keys go with them."""
    with state.store.locked():
        user = directory.get_or_404(state, USERS, user_id)
        _refuse_owner_change(user_id, "remove")
        for member in state.store.all(org.MEMBER):
            if member["_user_id"] == user_id:
                state.store.delete(org.MEMBER, member["id"])
        directory.delete_keys_of(state, "user", user_id)
        return directory.delete(state, USERS, user, "user.deleted")


def _refuse_owner_change(user_id: str, action: str) -> None:
    if user_id == org.OWNER_ID:
        raise bad_request(
            f"You cannot {action} the owner this admin key belongs to.", param="user_id", code="invalid_value"
        )


def render_invite(state: EmulatorState, invite: Obj) -> Obj:
    """The invite as of now: a pending one past `expires_at` shows `expired`."""
    shown = public(invite)
    if shown["status"] == "pending" and state.now() >= shown["expires_at"]:
        shown["status"] = "expired"
    return shown


def invites(state: EmulatorState) -> list[Obj]:
    org.ensure(state)
    return [render_invite(state, invite) for invite in org.oldest_first(state, org.INVITE)]


def create_invite(state: EmulatorState, email: str, role: str) -> Obj:
    with state.store.locked():
        if user_by_email(state, email) is not None:
            raise bad_request(
                f"{email} is already a member of this organization.", param="email", code="invalid_value"
            )
        if any(
            invite["email"].casefold() == email.casefold() and invite["status"] == "pending"
            for invite in invites(state)
        ):
            raise bad_request(f"{email} already has a pending invite.", param="email", code="invalid_value")
        now = state.now()
        invite = directory.create(
            state,
            INVITES,
            {
                "email": email,
                "role": role,
                "status": "pending",
                "invited_at": now,
                "expires_at": now + INVITE_SECONDS,
                "accepted_at": None,
            },
        )
        directory.log_change(state, INVITES, invite, "invite.sent", data={"email": email, "role": role})
    return render_invite(state, invite)


def delete_invite(state: EmulatorState, invite_id: str) -> Obj:
    """A pending or expired invite is withdrawn; an accepted one cannot be (the spec says so)."""
    with state.store.locked():
        invite = directory.get_or_404(state, INVITES, invite_id)
        if invite["status"] == "accepted":
            raise bad_request(
                f"Invite {invite_id} has already been accepted and cannot be deleted.",
                param="invite_id",
                code="invalid_value",
            )
        return directory.delete(state, INVITES, invite, "invite.deleted")


def accept_invite(state: EmulatorState, invite_id: str) -> tuple[Obj, Obj]:
    """The invitee accepts: (the invite, the new user). Only a pending invite can be accepted."""
    with state.store.locked():
        invite = directory.get_or_404(state, INVITES, invite_id)
        status = render_invite(state, invite)["status"]
        if status != "pending":
            raise bad_request(f"Invite {invite_id} is {status}, not pending.", param="invite_id")
        now = state.now()
        invite.update(status="accepted", accepted_at=now)
        state.store.put(org.INVITE, invite)
        user = directory.create(
            state,
            USERS,
            {
                "name": invite["email"].split("@", 1)[0],
                "email": invite["email"],
                "role": invite["role"],
                "added_at": now,
            },
        )
        actor = audit_log.session_actor(user)
        audit_log.record(state, audit_log.Event("invite.accepted", actor, {"id": invite_id}))
        user_added = {"id": user["id"], "data": {"role": user["role"]}}
        audit_log.record(state, audit_log.Event("user.added", actor, user_added))
    return render_invite(state, invite), public(user)
