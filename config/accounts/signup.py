"""A new user who signs up gets an organisation of their own, as its owner."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from config.accounts.models import Membership, Organisation, Role

logger = logging.getLogger(__name__)


def create_organisation_for(user) -> Organisation | None:
    """Create an organisation owned by ``user``, unless the user already has a membership."""
    if Membership.objects.filter(user=user).exists():
        return None

    local_part = user.email.partition("@")[0] or str(user.pk)
    base_slug = slugify(local_part)[:60] or "organisation"
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=_("%(name)s's organisation") % {"name": local_part},
            slug=_unused_slug(base_slug),
        )
        Membership.objects.create(user=user, organisation=organisation, role=Role.OWNER)
    logger.info("Organisation %s created for new user %s", organisation.pk, user.pk)
    return organisation


def _unused_slug(base: str) -> str:
    slug = base
    suffix = 1
    while Organisation.objects.filter(slug=slug).exists():
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


def on_user_signed_up(sender, request, user, **kwargs) -> None:
    create_organisation_for(user)
