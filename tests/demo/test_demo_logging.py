"""The demo's log output: one line per record, no traceback for a 403, and a favicon."""

from __future__ import annotations

import io
import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders


@pytest.fixture
def console():
    """Capture what the demo's root handler prints."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler)
        and any(type(f).__name__ == "OmitPermissionDeniedTraceback" for f in handler.filters)
    ]
    assert len(handlers) == 1, logging.getLogger().handlers
    handler = handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_app_record_printed_once(console):
    logging.getLogger("offboarding.exports.service").info("Export %s ready", 7)
    logging.getLogger("config.demo.story").info("Demo setup done")

    lines = console.getvalue().splitlines()
    assert sum("Export 7 ready" in line for line in lines) == 1
    assert sum("Demo setup done" in line for line in lines) == 1


def test_app_loggers_have_no_handler_of_their_own():
    for name in ("offboarding", "config"):
        assert logging.getLogger(name).handlers == []
        assert logging.getLogger(name).propagate


def test_permission_denied_logged_without_traceback(console, client, db):
    staff = get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    client.force_login(staff)

    # Staff without the case permissions are refused before the case is looked up.
    response = client.get("/admin/offboarding/offboardingcase/1/action/purge_now/")

    assert response.status_code == 403
    output = console.getvalue()
    assert "Forbidden (Permission denied): /admin/offboarding/offboardingcase/" in output
    assert "Traceback" not in output


def test_server_error_keeps_traceback(console):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("django.request").error("Internal Server Error: /x/", exc_info=True)

    assert "Traceback" in console.getvalue()
    assert "ValueError: boom" in console.getvalue()


def test_favicon_redirects_to_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    assert finders.find("favicon.ico") is not None
