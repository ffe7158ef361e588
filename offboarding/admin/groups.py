"""The two staff groups of the offboarding admin and the permissions each one holds."""

from __future__ import annotations

import logging

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_noop

from offboarding.admin.case_actions import ACT_ON_CASE, MANAGE_RETENTION, PURGE

logger = logging.getLogger(__name__)

# Group names are stored in the database, so they are marked for translation but kept in
# English there; the admin shows them as they are stored.
CUSTOMER_SUCCESS = gettext_noop("Customer success")
ADMINISTRATORS = gettext_noop("Offboarding administrators")

# Configuration models that administrators may add, change and delete (cadences, offers,
# survey questions and reasons). A model of a part that is not installed is skipped.
CONFIGURATION_MODELS = (
    "saveoffer",
    "surveyquestion",
    "surveyreason",
    "cadencestep",
)


def _offboarding_permissions() -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="offboarding"))


def customer_success_permissions() -> list[Permission]:
    """View every offboarding model, manage retention and act on cases."""
    return [
        permission
        for permission in _offboarding_permissions()
        if permission.codename.startswith("view_")
        or permission.codename in (MANAGE_RETENTION, ACT_ON_CASE)
    ]


def administrator_permissions() -> list[Permission]:
    """Everything customer success holds, plus purge and editing the configuration models."""
    editable = {
        f"{verb}_{model}" for model in CONFIGURATION_MODELS for verb in ("add", "change", "delete")
    }
    return [
        *customer_success_permissions(),
        *(
            permission
            for permission in _offboarding_permissions()
            if permission.codename == PURGE or permission.codename in editable
        ),
    ]


def install_staff_groups() -> dict[str, int]:
    """Create or update both groups; return the number of permissions of each.

    The groups belong to the app: running this again sets their permissions back to the
    list above, so grant extra permissions through groups of your own.
    """
    create_permissions(apps.get_app_config("offboarding"), verbosity=0)
    installed = {}
    for name, permissions in (
        (CUSTOMER_SUCCESS, customer_success_permissions()),
        (ADMINISTRATORS, administrator_permissions()),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        installed[name] = len(permissions)
        logger.info("Staff group %r set up, permissions: %s", name, len(permissions))
    return installed
