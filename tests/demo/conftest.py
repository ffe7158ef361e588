"""Fixtures for the demo host project: organisations with members in given roles."""

from __future__ import annotations

import itertools

import pytest

from config.accounts.models import Membership, Organisation, Role

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    """Fast password hashing and media files in a temporary folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


@pytest.fixture
def make_organisation(db):
    def make(name: str = "Northwind", **fields) -> Organisation:
        number = next(_sequence)
        return Organisation.objects.create(name=name, slug=f"{name.lower()}-{number}", **fields)

    return make


@pytest.fixture
def make_member(db, django_user_model):
    """Create a user with a membership of ``organisation`` in ``role``."""

    def make(organisation: Organisation, role: str = Role.MEMBER, email: str | None = None):
        number = next(_sequence)
        email = email or f"{role}-{number}@example.com"
        user = django_user_model.objects.create_user(
            username=email, email=email, password="demo-password-1"
        )
        Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    return make
