"""The data registry: declarations, purge order and the system checks that guard it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from offboarding.exports.checks import check_data_registry
from offboarding.registry import DataRegistry, get_registry


def demo_like_registry(skip: set[str] = frozenset()) -> DataRegistry:
    """The demo's declarations, without the models named in ``skip``."""
    registry = DataRegistry()
    for source in get_registry_of_demo().sources():
        if source.model_label not in skip:
            registry.declare(
                source.model_label,
                name=source.name,
                account_path=source.account_path,
                fields=source.field_spec,
                exclude_fields=source.exclude_fields,
                file_fields=source.file_fields,
            )
    return registry


def get_registry_of_demo() -> DataRegistry:
    from config.offboarding_data import registry

    return registry


WITHOUT_API_KEYS = demo_like_registry({"api.ApiKey"})
WITHOUT_TASKS = demo_like_registry({"workspace.Task"})
API_KEYS_EXCLUDED = demo_like_registry({"api.ApiKey"})
API_KEYS_EXCLUDED.exclude("api.ApiKey", reason="credentials, revoked at the boundary")

BAD_PATH = DataRegistry()
BAD_PATH.declare("workspace.Task", name="tasks", account_path="project__name")
BAD_FIELD = DataRegistry()
BAD_FIELD.declare(
    "workspace.Task",
    name="tasks",
    account_path="project__organisation",
    fields=["title", "project__tasks"],
)
BAD_FILE_FIELD = DataRegistry()
BAD_FILE_FIELD.declare(
    "workspace.Task", name="tasks", account_path="project__organisation", file_fields=["title"]
)
NOT_INSTALLED = DataRegistry()
NOT_INSTALLED.declare("shop.Order", name="orders", account_path="customer")


def use_registry(settings, name: str | None) -> None:
    settings.OFFBOARDING = {**settings.OFFBOARDING, "DATA_REGISTRY": name}


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_demo_registry_accounts_for_every_related_model(settings):
    use_registry(settings, "config.offboarding_data.registry")
    assert check_data_registry() == []


def test_w010_model_related_to_account(settings):
    use_registry(settings, "tests.exports.test_registry.WITHOUT_API_KEYS")
    messages = check_data_registry()
    assert ids(messages) == ["offboarding.W010"]
    assert "api.ApiKey" in messages[0].msg
    assert 'registry.exclude("api.ApiKey"' in messages[0].hint
    assert 'registry.declare("api.ApiKey"' in messages[0].hint


def test_w010_model_related_through_declared_model(settings):
    use_registry(settings, "tests.exports.test_registry.WITHOUT_TASKS")
    messages = check_data_registry()
    assert ids(messages) == ["offboarding.W010"]
    assert "workspace.Task" in messages[0].msg
    assert "project" in messages[0].msg


def test_w010_silenced_by_exclusion(settings):
    use_registry(settings, "tests.exports.test_registry.API_KEYS_EXCLUDED")
    assert check_data_registry() == []


def test_w011_no_registry(settings):
    use_registry(settings, None)
    assert ids(check_data_registry()) == ["offboarding.W011"]


def test_e010_registry_not_importable(settings):
    use_registry(settings, "tests.exports.test_registry.NO_SUCH_REGISTRY")
    assert ids(check_data_registry()) == ["offboarding.E010"]


def test_e010_registry_of_wrong_type(settings):
    use_registry(settings, "tests.exports.test_registry.ids")
    assert ids(check_data_registry()) == ["offboarding.E010"]


@pytest.mark.parametrize(
    "name, words",
    [
        ("BAD_PATH", "does not lead"),
        ("BAD_FIELD", "to-many"),
        ("BAD_FILE_FIELD", "not a FileField"),
        ("NOT_INSTALLED", "not an installed model"),
    ],
)
def test_e011_invalid_source(settings, name, words):
    use_registry(settings, f"tests.exports.test_registry.{name}")
    messages = check_data_registry()
    assert ids(messages) == ["offboarding.E011"]
    assert words in messages[0].msg


def test_purge_order_children_first(settings):
    use_registry(settings, "config.offboarding_data.registry")
    order = [source.name for source in get_registry().purge_order()]
    assert sorted(order) == sorted(source.name for source in get_registry().sources())
    for child, parent in [
        ("comments", "tasks"),
        ("attachments", "tasks"),
        ("tasks", "projects"),
        ("projects", "organisation"),
        ("members", "organisation"),
        ("activity", "organisation"),
        ("api_keys", "organisation"),
    ]:
        assert order.index(child) < order.index(parent), (child, parent)


def test_purge_order_parent_declared_first():
    registry = DataRegistry()
    registry.declare("workspace.Project", name="projects", account_path="organisation")
    registry.declare(
        "workspace.Comment", name="comments", account_path="task__project__organisation"
    )
    registry.declare("workspace.Task", name="tasks", account_path="project__organisation")
    assert [s.name for s in registry.purge_order()] == ["comments", "tasks", "projects"]


@pytest.mark.parametrize(
    "declare",
    [
        lambda r: r.declare("workspace.Task", name="Tasks!", account_path="project__organisation"),
        lambda r: r.declare("workspace.Project", name="tasks", account_path="organisation"),
        lambda r: r.declare("workspace.Task", name="again", account_path="project__organisation"),
        lambda r: r.exclude("workspace.Task", reason="no"),
        lambda r: r.exclude("workspace.Comment", reason=" "),
    ],
)
def test_declare_rejects_conflicts(declare):
    registry = DataRegistry()
    registry.declare("workspace.Task", name="tasks", account_path="project__organisation")
    with pytest.raises(ImproperlyConfigured):
        declare(registry)


def test_source_fields_default_and_excludes(settings):
    use_registry(settings, "config.offboarding_data.registry")
    api_keys = get_registry().get("api_keys")
    assert "hashed_secret" not in api_keys.fields
    assert api_keys.fields["organisation_id"] == "organisation_id"
    members = get_registry().get("members")
    assert members.fields["user__email"] == "user_email"


def test_source_queryset_callable_path(db, settings):
    from django.db.models import Q

    registry = DataRegistry()
    source = registry.declare(
        "workspace.Project", name="projects", account_path=lambda key: Q(organisation_id=key)
    )
    assert "organisation_id" in str(source.queryset("5").query)


@pytest.mark.parametrize("chosen", [[], ["csv", "pdf"], "csv"])
def test_e012_invalid_export_formats(settings, chosen):
    from offboarding.exports.checks import check_export_settings

    settings.OFFBOARDING = {**settings.OFFBOARDING, "EXPORT_FORMATS": chosen}
    assert ids(check_export_settings()) == ["offboarding.E012"]


def test_export_formats_valid(settings):
    from offboarding.exports.checks import check_export_settings

    settings.OFFBOARDING = {**settings.OFFBOARDING, "EXPORT_FORMATS": ["csv", "xlsx"]}
    assert check_export_settings() == []


def test_e013_xlsx_without_openpyxl(settings, monkeypatch):
    import sys

    from offboarding.exports.checks import check_export_settings

    # A None entry in sys.modules makes "import openpyxl" raise ImportError.
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    settings.OFFBOARDING = {**settings.OFFBOARDING, "EXPORT_FORMATS": ["csv", "xlsx"]}
    assert ids(check_export_settings()) == ["offboarding.E013"]
