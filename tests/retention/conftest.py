"""A demo world for the retention tests: two organisations with members, data and files.

Northwind subscribed on 1 May 2024 00:00 UTC on a monthly plan and cancelled on 15 May,
so its boundary is 1 June 2024 00:00 UTC. Contoso keeps its subscription and its data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile

from config.accounts.models import Membership, Organisation, Role
from config.api.models import ApiKey
from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task
from offboarding import jobs
from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Actor
from offboarding.services import lifecycle
from tests.conftest import utc

SUBSCRIBED_AT = utc(2024, 5, 1)
CANCELLED_AT = utc(2024, 5, 15, 12)
BOUNDARY = utc(2024, 6, 1)
JUST_BEFORE = BOUNDARY - timedelta(seconds=1)
PASSWORD = "demo-password-1"

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def retention_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "ACCOUNT_MODEL": "accounts.Organisation",
        "ADAPTER": "config.offboarding_adapter.DemoAdapter",
        "DATA_REGISTRY": "config.offboarding_data.registry",
        "REVOKERS": ["config.revokers.ApiKeyRevoker"],
        "STEP_RETRY_DELAY": timedelta(0),
    }
    return settings


@dataclass
class Organisation_:
    organisation: Organisation
    owner: Any
    member: Any
    api_key: str
    attachment_names: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.organisation.pk)


def make_user(django_user_model, organisation, role):
    email = f"{role}-{next(_sequence)}@example.com"
    user = django_user_model.objects.create_user(username=email, email=email, password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    # A verified address lets allauth connect the first SSO login to this user. With an
    # unverified one, allauth would connect it but wipe the password to stop a takeover.
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def fill_organisation(
    organisation, owner, *, projects=2, tasks=3, comments=2, prefix="P"
) -> list[str]:
    """Create projects, tasks, comments, one attachment with a stored file per project."""
    names = []
    for number in range(projects):
        project = Project.objects.create(
            organisation=organisation, key=f"{prefix}{number}", name=f"Project {number}"
        )
        for task_number in range(1, tasks + 1):
            task = Task.objects.create(project=project, number=task_number, title="Task")
            for _ in range(comments):
                Comment.objects.create(task=task, author=owner, body="A comment")
        attachment = Attachment(
            task=task, name="notes.txt", content_type="text/plain", size=5, uploaded_by=owner
        )
        attachment.file.save("notes.txt", ContentFile(b"notes"), save=True)
        names.append(attachment.file.name)
        ActivityEntry.objects.create(organisation=organisation, actor=owner, verb="created")
    return names


@pytest.fixture
def world(frozen_clock, monthly_plan, django_user_model):
    """Northwind (cancelled, boundary 1 June 2024) and Contoso (subscribed), with data."""
    frozen_clock.at(SUBSCRIBED_AT)
    organisations = {}
    for name in ("Northwind", "Contoso"):
        organisation = Organisation.objects.create(
            name=name, slug=f"{name.lower()}-{next(_sequence)}"
        )
        owner = make_user(django_user_model, organisation, Role.OWNER)
        member = make_user(django_user_model, organisation, Role.MEMBER)
        issued = ApiKey.objects.issue(organisation, owner, "CI")
        LocalLedgerBackend().subscribe(
            str(organisation.pk), monthly_plan.code, SUBSCRIBED_AT, trial=False
        )
        names = fill_organisation(organisation, owner)
        organisations[name] = Organisation_(organisation, owner, member, issued.plaintext, names)

    frozen_clock.at(CANCELLED_AT)
    northwind = organisations["Northwind"]
    case = lifecycle.open_case(northwind.organisation, northwind.owner)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(northwind.owner))
    assert case.boundary_at == BOUNDARY
    return organisations["Northwind"], organisations["Contoso"], case


def run_due(frozen_clock, at):
    """Move the clock to ``at`` and run the due-work scan and every due step."""
    frozen_clock.at(at)
    report = jobs.scan_due_work()
    while jobs.scan_due_work().counts.get("steps"):
        pass
    return report
