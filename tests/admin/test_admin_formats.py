"""How the case admin fits its data: compact times, one empty mark, readable chart labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from offboarding.admin import charts
from offboarding.models import AuditEvent, CaseState
from tests.admin.factories import case_in_state
from tests.admin.test_case_admin import CHANGELIST, change_url
from tests.admin.test_zoned_times import berlin_accounts  # noqa: F401 - a fixture.
from tests.conftest import utc

CHROMIUM = "/usr/bin/chromium"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_audit_time_cell_two_short_lines(client, success_user, scheduled_case, berlin_accounts):  # noqa: F811
    client.force_login(success_user)

    html = client.get(change_url(scheduled_case)).content.decode()

    # Confirmed on 5 March 2024 12:00 UTC, 13:00 in Berlin (CET).
    assert '<span class="obd-time">March 5, 2024, noon UTC</span>' in html
    assert '<span class="obd-time obd-muted">March 5, 2024, 1 p.m. CET</span>' in html


def test_empty_values_use_one_mark(client, success_user, scheduled_case):
    client.force_login(success_user)

    response = client.get(change_url(scheduled_case))
    text = _text(response.content.decode())

    # A scheduled case has no vault or purge time, and its first event has no "from" state.
    assert "None" not in text
    assert "Vaulted: -" in text
    assert "Purged: -" in text
    assert "–" not in text.split("Audit trail", 1)[1]
    assert AuditEvent.objects.filter(case=scheduled_case, from_state="").exists()


def test_list_empty_survey_columns_use_mark(client, success_user):
    case_in_state(CaseState.SCHEDULED, requested_at=utc(2024, 3, 1), account_label="Acme")
    client.force_login(success_user)

    text = _text(client.get(reverse(CHANGELIST)).content.decode())

    assert "None" not in text
    assert "Acme" in text


def test_chart_label_column_fits_long_labels():
    label = "Customer service was less than expected"
    chart = charts.horizontal_bars("t", [(label, 3, "3"), ("short", 1, "1")], empty_text="")
    label_width = float(chart.shapes[0].x)

    assert label_width >= len(label) * charts.LABEL_CHAR_WIDTH
    assert float(chart.width) == label_width + charts.BAR_AREA_WIDTH + charts.VALUE_WIDTH
    assert chart.shapes[0].short_label == ""


def test_chart_shortens_label_beyond_limit():
    label = "A reason that a customer typed at great length, longer than any column"
    chart = charts.horizontal_bars("t", [(label, 3, "3")], empty_text="")
    shape = chart.shapes[0]

    assert float(shape.x) == charts.MAX_LABEL_WIDTH
    assert shape.short_label.endswith("…")
    assert len(shape.short_label) * charts.LABEL_CHAR_WIDTH <= charts.MAX_LABEL_WIDTH
    assert shape.label == label


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_case_list_fits_1280_pixels(live_server, django_user_model, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    case_in_state(
        CaseState.ENDED,
        requested_at=utc(2024, 3, 1),
        account_label="Northwind Handels GmbH",
        legal_hold=True,
        legal_hold_reason="Tax audit",
        needs_attention=True,
        attention_reason="A step failed",
    )
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        page.goto(live_server.url + reverse(CHANGELIST))
        overflow = page.evaluate(
            "() => { const box = document.querySelector('.results');"
            " return box.scrollWidth - box.clientWidth; }"
        )
        browser.close()

    # The list scrolls sideways when its columns do not fit, which hides the last ones.
    assert overflow <= 0
