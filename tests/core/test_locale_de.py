"""The German translation that ships with the app: its catalog and the pages, notices and
invoices a German-language account receives."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse
from django.utils import translation

import offboarding
from config.accounts.models import Role
from offboarding import jobs
from offboarding.invoices.document import render_invoice_html
from offboarding.jurisdictions import get_profile
from offboarding.models import Actor, OffboardingCase
from offboarding.notices.sending import send_due_notices
from offboarding.services import lifecycle
from offboarding.steps import run_pending_steps
from tests.portal.conftest import NOW
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user

LOCALE_DIR = Path(offboarding.__file__).parent / "locale"
PO_FILE = LOCALE_DIR / "de" / "LC_MESSAGES" / "django.po"
MO_FILE = LOCALE_DIR / "de" / "LC_MESSAGES" / "django.mo"

# printf-style placeholders ("%(name)s", "%d", "%%") and, in python-brace-format
# entries, str.format fields ("{name}").
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
BRACE_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def catalog_messages():
    with PO_FILE.open("rb") as po:
        return [message for message in read_po(po) if message.id]


def is_translated(message) -> bool:
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms)


def translated_messages():
    """Return the entries that have a translation. test_po_has_no_untranslated_entry lists the others."""
    return [message for message in catalog_messages() if is_translated(message)]


def placeholders(text: str, flags) -> list[str]:
    found = PERCENT_PLACEHOLDER.findall(text)
    if "python-brace-format" in flags:
        found += BRACE_PLACEHOLDER.findall(text)
    return sorted(found)


def test_po_has_no_untranslated_entry():
    untranslated = [message.id for message in catalog_messages() if not is_translated(message)]
    assert untranslated == []


def test_po_has_no_fuzzy_entry():
    assert "#, fuzzy" not in PO_FILE.read_text(encoding="utf-8")
    assert [message.id for message in catalog_messages() if message.fuzzy] == []


def test_po_declares_german_plural_forms():
    header = PO_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: de\\n"' in header
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header


def test_po_keeps_every_placeholder():
    mismatches = []
    for message in translated_messages():
        if isinstance(message.id, tuple):
            # German has the same two forms as English: n == 1 and every other n.
            pairs = zip(message.id, message.string, strict=True)
        else:
            pairs = [(message.id, message.string)]
        for source, translated in pairs:
            if placeholders(source, message.flags) != placeholders(translated, message.flags):
                mismatches.append((source, translated))
    assert mismatches == []


def test_mo_matches_po():
    with MO_FILE.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for message in translated_messages():
        if isinstance(message.id, tuple):
            singular, plural = message.id
            for n, expected in ((1, message.string[0]), (2, message.string[1])):
                if message.context:
                    got = compiled.npgettext(message.context, singular, plural, n)
                else:
                    got = compiled.ngettext(singular, plural, n)
                if got != expected:
                    stale.append(message.id)
        else:
            if message.context:
                got = compiled.pgettext(message.context, message.id)
            else:
                got = compiled.gettext(message.id)
            if got != message.string:
                stale.append(message.id)
    assert stale == [], "run compilemessages in offboarding/"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt")
def test_msgfmt_check_passes(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext")
def test_po_covers_every_marked_string(tmp_path):
    # makemessages on a copy of the app lists every string the code and templates mark
    # for translation; the shipped catalog must contain each one.
    app = tmp_path / "offboarding"
    shutil.copytree(Path(offboarding.__file__).parent, app, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.rmtree(app / "locale" / "de")
    (app / "locale").mkdir(exist_ok=True)
    # Without settings, makemessages reads only the folder it runs in.
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"
    }
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de"],
        cwd=app,
        env=environment,
        capture_output=True,
        check=True,
    )
    with (app / "locale" / "de" / "LC_MESSAGES" / "django.po").open("rb") as po:
        marked = {(message.id, message.context) for message in read_po(po) if message.id}
    shipped = {(message.id, message.context) for message in catalog_messages()}

    missing = sorted(str(key) for key in marked - shipped)
    assert missing == [], f"Run makemessages -l de in offboarding/ and translate: {missing}"


def test_german_final_button_reads_jetzt_kuendigen():
    with translation.override("de"):
        assert str(get_profile("de").confirm_label) == "Jetzt kündigen"
        assert str(get_profile("default").confirm_label) == "Abonnement kündigen"


@pytest.fixture
def german_organisation(settings, frozen_clock, monthly_plan, tmp_path):
    """Yield a German-language organisation under the "de" profile and its owner.

    The organisation subscribed three days ago, so the withdrawal period still runs.
    LocaleMiddleware serves each request in the language of its Accept-Language header.
    """
    settings.OFFBOARDING = DEMO_OFFBOARDING
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:2],
        "django.middleware.locale.LocaleMiddleware",
        *settings.MIDDLEWARE[2:],
    ]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    frozen_clock.at(NOW)
    organisation = make_organisation(
        "Müller GmbH", monthly_plan.code, jurisdiction="de", subscribed_at=NOW - timedelta(days=3)
    )
    organisation.language = "de"
    organisation.save(update_fields=["language"])
    owner = make_user("anna")
    add_member(organisation, owner, Role.OWNER)
    yield organisation, owner
    # LocaleMiddleware activates the request's language for the thread and leaves it
    # active after the response, so later tests would otherwise render German.
    translation.deactivate()


def test_cancel_page_in_german(client, german_organisation):
    organisation, owner = german_organisation
    client.force_login(owner)

    page = client.get(reverse("offboarding:cancel"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert '<button type="submit" class="button danger">Jetzt kündigen</button>' in page
    assert "<h1>Ihr Abonnement kündigen</h1>" in page
    assert '<h2 id="cancel-heading">Kündigen</h2>' in page
    assert "Was passiert, wenn Sie kündigen" in page
    assert "Zum Kündigen ist kein Passwort nötig." in page
    assert "Widerrufsrecht" in page
    assert "Vertrag hier widerrufen" in page
    assert "Cancel now" not in page
    assert "Cancel your subscription" not in page


def test_cancellation_notice_in_german(client, german_organisation, mailoutbox):
    organisation, owner = german_organisation
    client.force_login(owner)
    client.post(
        reverse("offboarding:cancel"), {"when": "end_of_period"}, HTTP_ACCEPT_LANGUAGE="de"
    )

    jobs.scan_due_work()
    send_due_notices()

    [message] = [mail for mail in mailoutbox if "anna@example.com" in mail.to]
    html = message.alternatives[0][0]
    assert message.subject == "Ihre Kündigung ist bestätigt"
    for body in (message.body, html):
        assert "Hallo Müller GmbH," in body
        assert "Wir bestätigen Ihre Kündigung für Team (monthly), eingegangen am" in body
        assert "Bis dahin funktioniert alles wie bisher" in body
        assert "März 2024" in body
        assert "We confirm" not in body


def test_final_invoice_html_in_german(german_organisation):
    organisation, owner = german_organisation
    case = lifecycle.open_case(organisation, owner)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(owner), immediately=True)
    run_pending_steps(case_id=case.pk)
    invoice = OffboardingCase.objects.get(pk=case.pk).final_invoice

    html = render_invoice_html(invoice)

    assert invoice.language == "de"
    assert '<html lang="de">' in html
    assert f"<h1>Schlussrechnung {invoice.number}</h1>" in html
    assert "Rechnungsempfänger" in html
    assert "Rechnungsnummer" in html
    assert "Einzelpreis (netto)" in html
    assert "Rechnungsbetrag" in html
    assert "Beendete Abonnementposten" in html
    assert "Dies ist die Schlussrechnung." in html
    assert "Final invoice" not in html
    assert "Billed to" not in html
