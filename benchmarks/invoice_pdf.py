"""Final invoice PDF rendering against a bare WeasyPrint render, in one run.

Usage: .venv/bin/python benchmarks/invoice_pdf.py [repetitions]

Renders, interleaved and ``repetitions`` times each (default 15):
- "bare WeasyPrint, same page": the 2-line invoice's HTML, rendered once beforehand,
  through a plain ``HTML(string=...).write_pdf()``: no template, no PDF/A, no Factur-X;
- "bare WeasyPrint, minimal page": a smaller hand-written invoice page with WeasyPrint
  defaults (system font, no page margin boxes), the floor of any one-page render;
- "bare WeasyPrint, 100-row table": a plain six-column table of 100 rows, the floor of
  the long invoice;
- "final invoice, 2 lines" and "final invoice, 100 lines": the app's full path, from
  the template to the PDF/A-3b with the Factur-X XML embedded and checked.
It prints the median and minimum of each and the ratios of the medians. The database is a
throwaway SQLite file unless DATABASE_URL names another.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK_DIR = tempfile.mkdtemp(prefix="offb-invoice-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK_DIR}/bench.sqlite3")
os.environ.setdefault("DEMO_VAR_DIR", WORK_DIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("OFFBOARDING_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from weasyprint import HTML  # noqa: E402

from offboarding.invoices.document import (  # noqa: E402
    render_invoice_html,
    render_invoice_pdf,
)
from offboarding.invoices.pdf import html_to_pdf  # noqa: E402
from offboarding.models import (  # noqa: E402
    FinalInvoice,
    FinalInvoiceClosure,
    FinalInvoiceLine,
    FinalInvoicePayment,
    OffboardingCase,
)

BARE_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Invoice</title>
<style>body { font-size: 10pt } table { width: 100%; border-collapse: collapse }
td, th { border-bottom: 1px solid #ccc; padding: 4px; text-align: left }</style></head>
<body><h1>Invoice FIN-2024-000001</h1><p>Seller<br>Buyer<br>ann@example.com</p>
<table><thead><tr><th>#</th><th>Description</th><th>Quantity</th><th>Unit price</th>
<th>Tax %</th><th>Amount</th></tr></thead><tbody>
<tr><td>1</td><td>Team (monthly), 2024-04-01 to 2024-05-01</td><td>1</td><td>€30.00</td>
<td>0</td><td>€30.00</td></tr>
<tr><td>2</td><td>Unused time, 2024-04-19 to 2024-05-01</td><td>-1</td><td>€12.00</td>
<td>0</td><td>-€12.00</td></tr></tbody></table>
<p>Total €18.00. Paid €30.00. Refunded €12.00. Balance €0.00.</p>
<p>Team (monthly): closed on April 19, 2024. No further charges will be made.</p>
</body></html>"""


BARE_MINIMAL = "bare WeasyPrint, minimal page"
BARE_SAME = "bare WeasyPrint, same page"
BARE_TABLE = "bare WeasyPrint, 100-row table"

BARE_TABLE_HTML = (
    "<table><thead><tr><th>#</th><th>Description</th><th>Quantity</th><th>Unit price</th>"
    "<th>Tax %</th><th>Amount</th></tr></thead><tbody>"
    + "".join(
        f"<tr><td>{i}</td><td>API calls, batch {i}</td><td>1</td><td>€1.00</td><td>0</td>"
        "<td>€1.00</td></tr>"
        for i in range(1, 101)
    )
    + "</tbody></table>"
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_invoice(number: int, line_count: int) -> FinalInvoice:
    """Write an issued invoice with ``line_count`` lines of 1.00 and a matching payment."""
    case = OffboardingCase.objects.create(
        account_key=f"bench-{number}",
        account_label="Bench customer",
        requested_at=utc(2024, 4, 1),
    )
    total = Decimal(line_count)
    invoice = FinalInvoice.objects.create(
        case=case,
        account_key=case.account_key,
        number=FinalInvoice.format_number("FIN", 2024, number),
        series="FIN",
        year=2024,
        sequence=number,
        issued_at=utc(2024, 5, 1),
        issue_date=utc(2024, 5, 1).date(),
        currency="EUR",
        period_start=utc(2024, 4, 1),
        period_end=utc(2024, 5, 1),
        rounding="line",
        language="en",
        time_zone="UTC",
        seller={
            "name": "Acme Projects GmbH",
            "address_lines": ["Friedrichstraße 123", "10117 Berlin"],
            "country_code": "DE",
            "vat_id": "DE123456789",
            "email": "billing@example.com",
        },
        buyer={
            "name": "Bench customer",
            "address_lines": [],
            "country_code": "",
            "vat_id": "",
            "email": "bench@example.com",
        },
        tax_breakdown=[{"rate": "0", "category": "Z", "basis": str(total), "tax": "0"}],
        net_total=total,
        tax_total=0,
        gross_total=total,
        paid_total=total,
        refunded_total=0,
        balance_due=0,
    )
    FinalInvoiceLine.objects.bulk_create(
        [
            FinalInvoiceLine(
                invoice=invoice,
                position=index + 1,
                kind="usage",
                description=f"API calls, batch {index + 1}",
                quantity=1,
                unit_price=1,
                net_amount=1,
                tax_rate=0,
                tax_amount=0,
                gross_amount=1,
                period_start=utc(2024, 4, 1),
                period_end=utc(2024, 5, 1),
            )
            for index in range(line_count)
        ]
    )
    FinalInvoicePayment.objects.create(
        invoice=invoice,
        kind="payment",
        description="Card payment",
        amount=total,
        occurred_at=utc(2024, 4, 1),
    )
    FinalInvoiceClosure.objects.create(
        invoice=invoice,
        reference="ledger-1",
        description="Team (monthly)",
        closed_at=utc(2024, 5, 1),
    )
    return invoice


def measure(cases: dict, repetitions: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for render in cases.values():
        render()  # Warm-up: fonts, templates and schemas loaded once per process.
    for _ in range(repetitions):
        for name, render in cases.items():
            started = time.perf_counter()
            render()
            timings[name].append(time.perf_counter() - started)
    return timings


def main() -> None:
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    # Tables straight from the models, as pytest --nomigrations does, so the script does
    # not depend on the migration files being current.
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    short = make_invoice(1, 2)
    long = make_invoice(2, 100)
    short_html = render_invoice_html(short)

    cases = {
        BARE_MINIMAL: lambda: HTML(string=BARE_HTML).write_pdf(),
        BARE_SAME: lambda: HTML(string=short_html).write_pdf(),
        BARE_TABLE: lambda: HTML(string=BARE_TABLE_HTML).write_pdf(),
        "final invoice, 2 lines": lambda: render_invoice_pdf(short),
        "final invoice, 100 lines": lambda: render_invoice_pdf(long),
        "2 lines, layout + PDF/A only": lambda: html_to_pdf(short_html),
    }
    timings = measure(cases, repetitions)

    print(f"repetitions: {repetitions}, interleaved; times in ms")
    for name, values in timings.items():
        print(
            f"{name:34s} median {statistics.median(values) * 1000:7.1f}   "
            f"min {min(values) * 1000:7.1f}"
        )
    for name, bare_name in (
        ("final invoice, 2 lines", BARE_SAME),
        ("final invoice, 2 lines", BARE_MINIMAL),
        ("final invoice, 100 lines", BARE_TABLE),
    ):
        ratio = statistics.median(timings[name]) / statistics.median(timings[bare_name])
        print(f"ratio {name} / {bare_name}: {ratio:.2f}x")
    pages = len(
        __import__("pypdf").PdfReader(__import__("io").BytesIO(render_invoice_pdf(long))).pages
    )
    print(f"100-line invoice pages: {pages}")


if __name__ == "__main__":
    main()
