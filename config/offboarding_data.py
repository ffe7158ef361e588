"""Where the demo product keeps an organisation's data, for export and purge.

Named in ``OFFBOARDING["DATA_REGISTRY"]``. Every model with a relation to an
organisation, directly or through the models below, is declared here. The system check
``offboarding.W010`` fails the test suite when a new one is not.
"""

from offboarding.registry import DataRegistry

registry = DataRegistry()

registry.declare(
    "accounts.Organisation",
    name="organisation",
    account_path="pk",
    fields=[
        "id",
        "name",
        "slug",
        "timezone",
        "language",
        "jurisdiction",
        "billing_email",
        "billing_address",
        "country_code",
        "vat_id",
        "created_at",
    ],
)
registry.declare(
    "accounts.Membership",
    name="members",
    account_path="organisation",
    # The member's email shows who the seat belongs to; the user row itself is shared
    # between organisations and is not part of one organisation's data.
    fields={
        "id": "id",
        "user_id": "user_id",
        "user__email": "user_email",
        "role": "role",
        "created_at": "created_at",
    },
)
registry.declare("workspace.Project", name="projects", account_path="organisation")
registry.declare("workspace.Task", name="tasks", account_path="project__organisation")
registry.declare("workspace.Comment", name="comments", account_path="task__project__organisation")
registry.declare(
    "workspace.Attachment",
    name="attachments",
    account_path="task__project__organisation",
    file_fields=["file"],
)
registry.declare("workspace.ActivityEntry", name="activity", account_path="organisation")
registry.declare(
    "api.ApiKey",
    name="api_keys",
    account_path="organisation",
    # The digest is a credential, not the customer's data.
    exclude_fields=["hashed_secret"],
)
