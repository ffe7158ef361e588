"""Notices about ending access name the team when the account has several members."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string


@pytest.mark.parametrize(
    "template, words",
    [
        ("access_ending_message.txt", "access to the product for you and your team members stops"),
        (
            "access_ending_message.html",
            "access to the product for you and your team members stops",
        ),
        ("access_ended_message.txt", "access to the product for you and your team members has"),
        ("access_ended_message.html", "access to the product for you and your team members has"),
    ],
)
def test_access_notice_names_team(world, template, words):
    _, _, case = world
    context = {"case": case, "account_label": case.account_label}

    text = render_to_string(f"offboarding/email/{template}", context)

    assert words in text
