"""The official `openai` SDK's typed admin resources (`client.admin.organization...`) work against the emulator,
auto-pagination and audit log filters included.

The SDK sends its admin calls with `admin_api_key` (or `OPENAI_ADMIN_KEY`), never with `api_key`: a client
given the admin key as `api_key` cannot make them."""

from __future__ import annotations

import pytest

from airflow_openai.emulator.organization.organization import DEFAULT_KEY_ID, DEFAULT_PROJECT_ID, OWNER_ID

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")


@pytest.fixture
def client(emu):
    emu.set_speed(0)
    with openai.OpenAI(admin_api_key=emu.admin_key, base_url=emu.base_url, max_retries=0) as client:
        yield client


@pytest.fixture
def organization(client):
    return client.admin.organization


def test_the_sdk_manages_users_and_invites(organization, emu):
    (owner,) = list(organization.users.list())
    assert owner.id == OWNER_ID and owner.role == "owner"
    invite = organization.invites.create(email="ana@example.com", role="reader")
    assert invite.status == "pending" and invite.invited_at and invite.expires_at
    assert [i.id for i in organization.invites.list()] == [invite.id]
    assert organization.invites.retrieve(invite.id).email == "ana@example.com"
    user_id = emu.accept_invite(invite.id)["user"]["id"]
    assert organization.invites.retrieve(invite.id).status == "accepted"
    assert organization.users.update(user_id, role="owner").role == "owner"
    assert organization.users.retrieve(user_id).email == "ana@example.com"
    assert organization.users.delete(user_id).deleted is True
    other = organization.invites.create(email="bo@example.com", role="owner")
    assert organization.invites.delete(other.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        organization.users.retrieve(user_id)
    with pytest.raises(openai.BadRequestError):
        organization.users.delete(OWNER_ID)


def test_the_sdk_manages_projects_and_what_they_hold(organization, emu):
    projects = organization.projects
    project = projects.create(name="Ops")
    assert project.status == "active" and project.archived_at is None
    assert projects.update(project.id, name="Ops v2").name == "Ops v2"
    assert projects.retrieve(project.id).name == "Ops v2"

    invite = organization.invites.create(email="ana@example.com", role="reader")
    user_id = emu.accept_invite(invite.id)["user"]["id"]
    member = projects.users.create(project.id, user_id=user_id, role="member")
    assert member.id == user_id and member.role == "member"
    assert projects.users.update(user_id, project_id=project.id, role="owner").role == "owner"
    assert [m.id for m in projects.users.list(project.id)] == [user_id]
    assert projects.users.retrieve(user_id, project_id=project.id).email == "ana@example.com"

    account = projects.service_accounts.create(project.id, name="bot")
    assert account.api_key.value.startswith("sk-") and account.role == "member"
    assert [a.id for a in projects.service_accounts.list(project.id)] == [account.id]
    assert projects.service_accounts.retrieve(account.id, project_id=project.id).name == "bot"
    (key,) = list(projects.api_keys.list(project.id))
    assert key.id == account.api_key.id and key.owner.type == "service_account"
    assert key.owner.service_account.id == account.id and key.last_used_at is None
    assert account.api_key.value not in key.redacted_value.replace("...", "")
    with pytest.raises(openai.BadRequestError):
        projects.api_keys.delete(key.id, project_id=project.id)
    assert projects.service_accounts.delete(account.id, project_id=project.id).deleted is True
    assert projects.users.delete(user_id, project_id=project.id).deleted is True

    own = projects.api_keys.retrieve(DEFAULT_KEY_ID, project_id=DEFAULT_PROJECT_ID)
    assert own.owner.type == "user" and own.owner.user.id == OWNER_ID
    assert projects.api_keys.delete(DEFAULT_KEY_ID, project_id=DEFAULT_PROJECT_ID).deleted is True

    archived = projects.archive(project.id)
    assert archived.status == "archived" and archived.archived_at
    assert [p.id for p in projects.list()] == [DEFAULT_PROJECT_ID]
    assert [p.id for p in projects.list(include_archived=True)] == [DEFAULT_PROJECT_ID, project.id]
    with pytest.raises(openai.BadRequestError, match="is archived"):
        projects.update(project.id, name="Back")


def test_the_sdk_pages_through_every_project(organization):
    made = [organization.projects.create(name=f"p{n}").id for n in range(25)]
    page = organization.projects.list(limit=10)
    assert len(page.data) == 10 and page.has_more
    assert [p.id for p in page] == [DEFAULT_PROJECT_ID, *made]  # iterating fetches the pages after it


def test_the_sdk_reads_the_audit_log_with_filters_and_pages(organization, emu):
    emu.seed_organization_activity(hours=25, events_per_hour=10)
    project = organization.projects.create(name="Ops")
    organization.projects.update(project.id, name="Ops v2")

    everything = list(organization.audit_logs.list(limit=20))
    assert len(everything) == 252 and len({entry.id for entry in everything}) == 252
    times = [entry.effective_at for entry in everything]
    assert times == sorted(times, reverse=True)
    updated, created = everything[:2]
    assert updated.type == "project.updated" and updated.project.id == project.id
    assert updated.project_updated.changes_requested.title == "Ops v2"
    assert created.project_created.data.name == "Ops"
    assert updated.actor.type == "api_key" and updated.actor.api_key.user.id == OWNER_ID

    since = everything[100].effective_at
    failed = list(
        organization.audit_logs.list(
            limit=5, event_types=["login.failed"], effective_at={"gte": since}, actor_ids=[OWNER_ID]
        )
    )
    assert [e.id for e in failed] == [
        e.id for e in everything if e.type == "login.failed" and e.effective_at >= since
    ]
    assert failed and all(e.login_failed.error_code for e in failed)
    mine = list(organization.audit_logs.list(project_ids=[project.id], resource_ids=[project.id]))
    assert [e.id for e in mine] == [updated.id, created.id]
    by_email = list(organization.audit_logs.list(actor_emails=["owner@example.com"], limit=100))
    assert len(by_email) == 252  # the owner is the only user
    with pytest.raises(openai.BadRequestError):
        organization.audit_logs.list(limit=101)
    with pytest.raises(openai.BadRequestError):
        organization.audit_logs.list(event_types=["project.deleted"])  # the SDK knows it; the spec does not


def test_the_sdk_gets_typed_refusals_for_the_wrong_key(emu):
    with (
        openai.OpenAI(admin_api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client,
        pytest.raises(openai.PermissionDeniedError),
    ):
        client.admin.organization.users.list()
    with openai.OpenAI(api_key=emu.admin_key, base_url=emu.base_url, max_retries=0) as client:
        with pytest.raises(TypeError, match="admin_api_key"):
            client.admin.organization.users.list()
        with pytest.raises(openai.PermissionDeniedError):
            client.models.list()
