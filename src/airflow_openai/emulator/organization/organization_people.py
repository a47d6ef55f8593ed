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

from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.organization import audit_log
from airflow_openai.emulator.organization import organization as org

INVITE_SECONDS = 7 * 86400


def user_or_404(state: EmulatorState, user_id: str) -> Obj:
    org.ensure(state)
    user = state.store.get(org.USER, user_id)
    if user is None:
        raise not_found("user", user_id)
    return user


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
        user = user_or_404(state, user_id)
        _refuse_owner_change(user_id, "change the role of")
        user["role"] = role
        state.store.put(org.USER, user)
        audit_log.record(
            state,
            "user.updated",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": user_id, "changes_requested": {"role": role}},
        )
    return public(user)


def delete_user(state: EmulatorState, user_id: str) -> Obj:
    with state.store.locked():
        user_or_404(state, user_id)
        _refuse_owner_change(user_id, "remove")
        for member in state.store.all(org.MEMBER):
            if member["_user_id"] == user_id:
                state.store.delete(org.MEMBER, member["id"])
        for key in state.store.all(org.API_KEY):
            if key["_owner"] == {"type": "user", "id": user_id}:
                state.store.delete(org.API_KEY, key["id"])
        state.store.delete(org.USER, user_id)
        audit_log.record(
            state, "user.deleted", actor=audit_log.key_actor(org.owner(state)), payload={"id": user_id}
        )
    return {"object": "organization.user.deleted", "id": user_id, "deleted": True}


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


def invite_or_404(state: EmulatorState, invite_id: str) -> Obj:
    org.ensure(state)
    invite = state.store.get(org.INVITE, invite_id)
    if invite is None:
        raise not_found("invite", invite_id)
    return invite


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
        invite = state.store.put(
            org.INVITE,
            {
                "id": state.ids.new("invite-"),
                "object": org.INVITE,
                "email": email,
                "role": role,
                "status": "pending",
                "invited_at": now,
                "expires_at": now + INVITE_SECONDS,
                "accepted_at": None,
            },
        )
        audit_log.record(
            state,
            "invite.sent",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": invite["id"], "data": {"email": email, "role": role}},
        )
    return render_invite(state, invite)


def delete_invite(state: EmulatorState, invite_id: str) -> Obj:
    """A pending or expired invite is withdrawn; an accepted one cannot be (the spec says so)."""
    with state.store.locked():
        invite = invite_or_404(state, invite_id)
        if invite["status"] == "accepted":
            raise bad_request(
                f"Invite {invite_id} has already been accepted and cannot be deleted.",
                param="invite_id",
                code="invalid_value",
            )
        state.store.delete(org.INVITE, invite_id)
        audit_log.record(
            state, "invite.deleted", actor=audit_log.key_actor(org.owner(state)), payload={"id": invite_id}
        )
    return {"object": "organization.invite.deleted", "id": invite_id, "deleted": True}


def accept_invite(state: EmulatorState, invite_id: str) -> tuple[Obj, Obj]:
    """The invitee accepts: (the invite, the new user). Only a pending invite can be accepted."""
    with state.store.locked():
        invite = invite_or_404(state, invite_id)
        status = render_invite(state, invite)["status"]
        if status != "pending":
            raise bad_request(f"Invite {invite_id} is {status}, not pending.", param="invite_id")
        now = state.now()
        invite.update(status="accepted", accepted_at=now)
        state.store.put(org.INVITE, invite)
        user = state.store.put(
            org.USER,
            {
                "id": state.ids.new("user-"),
                "object": org.USER,
                "name": invite["email"].split("@", 1)[0],
                "email": invite["email"],
                "role": invite["role"],
                "added_at": now,
            },
        )
        actor = audit_log.session_actor(user)
        audit_log.record(state, "invite.accepted", actor=actor, payload={"id": invite_id})
        audit_log.record(
            state, "user.added", actor=actor, payload={"id": user["id"], "data": {"role": user["role"]}}
        )
    return render_invite(state, invite), public(user)
