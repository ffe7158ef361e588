"""The demo_data and demo_setup management commands."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from config.accounts.models import Membership, Organisation
from config.api.models import ApiKey
from config.demo.generate import plan_rows
from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task
from offboarding import clock
from offboarding.models import LedgerSubscription, Plan

ROW_MODELS = [Project, Task, Comment, ActivityEntry, Attachment]


def run(command: str, *args: str) -> str:
    output = StringIO()
    call_command(command, *args, stdout=output)
    return output.getvalue()


def table_counts() -> dict[str, int]:
    models = [
        get_user_model(),
        EmailAddress,
        Organisation,
        Membership,
        ApiKey,
        Plan,
        LedgerSubscription,
        *ROW_MODELS,
    ]
    return {model._meta.label: model._default_manager.count() for model in models}


@pytest.mark.parametrize("rows", [4, 5, 7, 49, 50, 51, 199, 200, 1000, 12345])
def test_plan_rows_adds_up(rows):
    plan = plan_rows(rows)

    assert plan.total == rows
    assert plan.projects >= 1
    assert plan.tasks >= 1
    assert plan.comments >= 1
    assert plan.activity_entries >= 0
    assert plan.attachments <= 3


@pytest.mark.parametrize("rows", [-1, 0, 3])
def test_plan_rows_rejects_too_few(rows):
    with pytest.raises(ValueError, match="at least 4"):
        plan_rows(rows)


@pytest.mark.django_db
def test_demo_data_exact_counts():
    output = run("demo_data", "--accounts", "3", "--rows-per-account", "250", "--seed", "7")

    plan = plan_rows(250)
    assert Organisation.objects.count() == 3
    assert get_user_model().objects.count() == 9
    assert Membership.objects.count() == 9
    assert Project.objects.count() == 3 * plan.projects
    assert Task.objects.count() == 3 * plan.tasks
    assert Comment.objects.count() == 3 * plan.comments
    assert ActivityEntry.objects.count() == 3 * plan.activity_entries
    assert Attachment.objects.count() == 3 * plan.attachments
    assert sum(model.objects.count() for model in ROW_MODELS) == 750
    assert "750 rows" in output


@pytest.mark.django_db
def test_demo_data_rows_belong_to_their_account():
    run("demo_data", "--accounts", "2", "--rows-per-account", "120", "--seed", "8")

    for organisation in Organisation.objects.all():
        member_ids = set(organisation.memberships.values_list("user_id", flat=True))
        assert set(organisation.memberships.values_list("role", flat=True)) == {
            "owner",
            "admin",
            "member",
        }
        comments = Comment.objects.filter(task__project__organisation=organisation)
        assert set(comments.values_list("author_id", flat=True)) <= member_ids
        assert comments.count() == plan_rows(120).comments
        activity = ActivityEntry.objects.filter(organisation=organisation)
        assert set(activity.values_list("actor_id", flat=True)) <= member_ids


@pytest.mark.django_db
def test_demo_data_dates_before_clock_now():
    run("demo_data", "--accounts", "1", "--rows-per-account", "100")

    now = clock.now()
    assert not Comment.objects.filter(created_at__gt=now).exists()
    assert not ActivityEntry.objects.filter(created_at__gt=now).exists()
    assert Task.objects.filter(remaining_hours__lt=0).exists()


@pytest.mark.django_db
def test_demo_data_writes_attachment_files():
    run("demo_data", "--accounts", "1", "--rows-per-account", "150")

    attachments = list(Attachment.objects.select_related("task__project"))
    assert len(attachments) == 3
    for attachment in attachments:
        assert default_storage.exists(attachment.file.name)
        assert default_storage.size(attachment.file.name) == attachment.size
        prefix = f"attachments/{attachment.task.project.organisation_id}/"
        assert attachment.file.name.startswith(prefix)


@pytest.mark.django_db
def test_demo_data_second_run_adds_nothing():
    run("demo_data", "--accounts", "2", "--rows-per-account", "60")
    before = table_counts()

    output = run("demo_data", "--accounts", "2", "--rows-per-account", "60")

    assert table_counts() == before
    assert "Skipping 2 organisations" in output


@pytest.mark.django_db
def test_demo_data_more_accounts_adds_only_missing():
    run("demo_data", "--accounts", "1", "--rows-per-account", "40")

    run("demo_data", "--accounts", "3", "--rows-per-account", "40")

    assert Organisation.objects.count() == 3
    assert sum(model.objects.count() for model in ROW_MODELS) == 120


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "0", "--rows-per-account", "10"], "--accounts must be 1 or more"),
        (["--accounts", "2", "--rows-per-account", "3"], "at least 4"),
    ],
)
def test_demo_data_bad_input_changes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run("demo_data", *args)

    assert Organisation.objects.count() == 0
    assert get_user_model().objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_demo_data_uses_copy_on_postgresql():
    assert connection.vendor == "postgresql"

    output = run("demo_data", "--accounts", "4", "--rows-per-account", "300")

    assert "CopyWriter" in output
    assert sum(model.objects.count() for model in ROW_MODELS) == 1200
    # Rows written by COPY got the model defaults for the columns left out.
    assert not Organisation.objects.filter(billing_email__isnull=True).exists()
    assert get_user_model().objects.filter(is_staff=False, first_name="").count() == 12


@pytest.mark.django_db
def test_demo_setup_twice_changes_nothing():
    first = run("demo_setup")
    after_first = table_counts()

    second = run("demo_setup")

    assert table_counts() == after_first
    assert after_first["accounts.Organisation"] == 3
    assert after_first["offboarding.LedgerSubscription"] == 3
    assert after_first["api.ApiKey"] == 3
    assert "Created 0 plans, 0 organisations, 0 users" in second
    assert "dk_" in first
    assert "dk_" not in second


@pytest.mark.django_db
def test_demo_setup_story():
    output = run("demo_setup")

    # The users are listed by demo_info alone, which `make demo` runs after the server starts.
    assert "northwind-owner@example.com" not in output
    assert "manage.py demo_info" in output
    now = clock.now()
    for slug, plan_code in [
        ("northwind", "team-monthly"),
        ("globex", "team-yearly"),
        ("initech", "starter-jpy"),
    ]:
        organisation = Organisation.objects.get(slug=slug)
        assert organisation.owner_membership().user.email == f"{slug}-owner@example.com"
        subscription = LedgerSubscription.objects.get(account_key=str(organisation.pk))
        assert subscription.plan.code == plan_code
        assert subscription.status == "active"
        assert subscription.anchor_at < now
        assert organisation.projects.exists()
    assert Plan.objects.get(code="starter-jpy").currency == "JPY"
    admin = get_user_model().objects.get(email="admin@example.com")
    assert admin.is_superuser
    assert admin.check_password("demo-password-1")


@pytest.mark.django_db
def test_demo_setup_keeps_cancelled_story(frozen_clock):
    run("demo_setup")
    LedgerSubscription.objects.update(status="canceled")

    run("demo_setup")

    assert LedgerSubscription.objects.filter(status="active").count() == 0
    assert LedgerSubscription.objects.count() == 3


@pytest.mark.django_db
def test_demo_setup_logins_work(client):
    run("demo_setup")

    response = client.post(
        "/accounts/login/",
        {"login": "consultant@example.com", "password": "demo-password-1"},
    )

    assert response.status_code == 302
    assert Membership.objects.filter(user__email="consultant@example.com").count() == 2


@pytest.mark.django_db
def test_demo_info_lists_users_and_clock():
    run("demo_setup")

    output = run("demo_info", "--url", "http://127.0.0.1:8001/")

    assert output.count("northwind-owner@example.com") == 1
    assert "demo-password-1" in output
    assert "http://127.0.0.1:8001/admin/" in output
    assert "offboarding_clock --days 31" in output
