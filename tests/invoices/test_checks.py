"""System checks of the final invoice settings."""

from __future__ import annotations

from offboarding.invoices.checks import check_invoice_settings


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_default_settings_pass(settings):
    settings.OFFBOARDING = {}

    assert ids(check_invoice_settings()) == []


def test_invalid_rounding_reported(settings):
    settings.OFFBOARDING = {"INVOICE_ROUNDING": "banker"}
    messages = check_invoice_settings()

    assert ids(messages) == ["offboarding.E050"]
    assert "'banker' is invalid" in messages[0].msg


def test_invalid_series_reported(settings):
    settings.OFFBOARDING = {"INVOICE_SERIES": "fin-"}

    assert ids(check_invoice_settings()) == ["offboarding.E051"]


def test_missing_pdf_library_warned(settings, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "facturx" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    settings.OFFBOARDING = {}
    messages = check_invoice_settings()

    assert ids(messages) == ["offboarding.W050"]
    assert "facturx not installed" in messages[0].msg
