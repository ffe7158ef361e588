"""Gapless final invoice numbers per series and year, and immutable invoice rows."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from offboarding.invoices import services
from offboarding.models import FinalInvoice, FinalInvoiceLine, InvoiceCounter
from tests.invoices.conftest import cancel_immediately


def take(series: str, year: int) -> int:
    with transaction.atomic():
        return services.take_number(series, year)


@pytest.mark.django_db
def test_numbers_follow_per_series_and_year():
    assert [take("FIN", 2024) for _ in range(3)] == [1, 2, 3]
    assert take("FIN", 2025) == 1
    assert take("CRN", 2024) == 1
    assert take("FIN", 2024) == 4


@pytest.mark.django_db
def test_rolled_back_issue_leaves_no_gap():
    take("FIN", 2024)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.take_number("FIN", 2024)
        raise RuntimeError("issue failed after the number was taken")

    assert take("FIN", 2024) == 2


@pytest.mark.django_db(transaction=True)
def test_number_outside_transaction_rejected():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.take_number("FIN", 2024)


def test_number_format():
    assert FinalInvoice.format_number("FIN", 2024, 1) == "FIN-2024-000001"


@pytest.mark.django_db
def test_series_from_settings(invoice_settings, frozen_clock, monthly_plan, customer):
    invoice_settings.OFFBOARDING = {**invoice_settings.OFFBOARDING, "INVOICE_SERIES": "END"}
    case = cancel_immediately(frozen_clock, customer, "team-monthly")

    assert case.final_invoice.number == "END-2024-000001"


@pytest.mark.django_db
def test_invoice_rows_immutable(invoice_settings, frozen_clock, monthly_plan, customer):
    invoice = cancel_immediately(frozen_clock, customer, "team-monthly").final_invoice
    line = invoice.lines.first()
    invoice.balance_due = 5

    with pytest.raises(TypeError, match="immutable"):
        invoice.save()
    with pytest.raises(TypeError, match="immutable"):
        FinalInvoice.objects.filter(pk=invoice.pk).update(gross_total=0)
    with pytest.raises(TypeError, match="immutable"):
        FinalInvoiceLine.objects.filter(pk=line.pk).delete()
    with pytest.raises(TypeError, match="immutable"):
        invoice.delete()
    assert FinalInvoice.objects.get(pk=invoice.pk).balance_due == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_consecutive_numbers():
    """Two threads take numbers, each on its own connection. The second waits while the
    first holds the counter lock, so they get 1 and 2 with no duplicate and no gap."""
    InvoiceCounter.objects.create(series="FIN", year=2024)
    first_has_number = threading.Event()
    release_first = threading.Event()
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def issuer(name: str) -> None:
        try:
            with transaction.atomic():
                results[name] = services.take_number("FIN", 2024)
                if name == "first":
                    first_has_number.set()
                    release_first.wait(timeout=10)
        except BaseException as error:  # Reported by the main thread below.
            errors.append(error)
        finally:
            connections.close_all()

    first = threading.Thread(target=issuer, args=("first",))
    second = threading.Thread(target=issuer, args=("second",))
    first.start()
    assert first_has_number.wait(timeout=10)
    second.start()
    second.join(timeout=1)
    blocked_while_locked = second.is_alive()
    release_first.set()
    first.join(timeout=10)
    second.join(timeout=10)

    assert errors == []
    assert blocked_while_locked
    assert sorted(results.values()) == [1, 2]
    assert results["first"] == 1
    assert InvoiceCounter.objects.get(series="FIN", year=2024).last_number == 2
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_numbers_of_new_year():
    """Many threads race to create the counter row of a new year and take numbers."""
    barrier = threading.Barrier(6)
    results: list[int] = []
    errors: list[BaseException] = []

    def issuer() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                with transaction.atomic():
                    results.append(services.take_number("FIN", 2031))
        except BaseException as error:  # Reported by the main thread below.
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issuer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == list(range(1, 31))


@pytest.mark.django_db
def test_invalid_series_issues_nothing(invoice_settings, frozen_clock, monthly_plan, customer):
    invoice_settings.OFFBOARDING = {
        **invoice_settings.OFFBOARDING,
        "BUILTIN_STEP_HANDLERS": False,
        "INVOICE_SERIES": "fin 24",
    }
    case = cancel_immediately(frozen_clock, customer, "team-monthly")

    with pytest.raises(ValueError, match="Invalid OFFBOARDING"):
        services.issue_final_invoice(case)
    assert not FinalInvoice.objects.exists()
    assert not InvoiceCounter.objects.exists()
