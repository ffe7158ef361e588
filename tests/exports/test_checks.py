"""The hint of offboarding.W010 names the lookup from the undeclared model to the account."""

from __future__ import annotations

from offboarding.exports.checks import check_data_registry
from offboarding.registry import DataRegistry
from tests.exports.test_registry import ids, use_registry

# Task relates to the account only through Project, whose account_path is a function.
PROJECTS_BY_FUNCTION = DataRegistry()
PROJECTS_BY_FUNCTION.declare(
    "workspace.Project",
    name="projects",
    account_path=lambda key: {"organisation_id": key},
)
PROJECTS_BY_FUNCTION.exclude("api.ApiKey", reason="credentials, revoked at the boundary")


def w010_hint(settings, registry: str, label: str) -> str:
    use_registry(settings, registry)
    warnings = [
        message
        for message in check_data_registry()
        if message.id == "offboarding.W010" and label in message.msg
    ]
    assert len(warnings) == 1, ids(check_data_registry())
    return warnings[0].hint


def test_w010_hint_direct_relation(settings):
    hint = w010_hint(settings, "tests.exports.test_registry.WITHOUT_API_KEYS", "api.ApiKey")
    assert 'account_path="organisation"' in hint


def test_w010_hint_through_declared_model(settings):
    hint = w010_hint(settings, "tests.exports.test_registry.WITHOUT_TASKS", "workspace.Task")
    assert 'account_path="project__organisation"' in hint


def test_w010_hint_through_function_path(settings):
    hint = w010_hint(settings, "tests.exports.test_checks.PROJECTS_BY_FUNCTION", "workspace.Task")
    assert 'account_path="..."' in hint
