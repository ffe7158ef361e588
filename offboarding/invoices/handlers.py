"""The step that issues, renders and emails the final invoice at the boundary."""

from __future__ import annotations

import logging
from typing import Any

from offboarding.billing.base import NoSubscription
from offboarding.invoices import services
from offboarding.steps import step_handler

logger = logging.getLogger(__name__)


# NOTE: a case that enters the data vault before its boundary never reaches the
# "boundary_reached" moment, so it gets no final invoice from this step.
@step_handler("boundary_reached", name="final_invoice")
def issue_final_invoice(case: Any, step: Any) -> dict:
    """Issue the final invoice, store its PDF and queue the email.

    An invoice that does not balance flags the case for staff and raises, so the step
    is retried (the billing data may still be settling) and ends as failed if it never
    balances.
    """
    try:
        invoice = services.issue_final_invoice(case)
    except NoSubscription:
        logger.info("Case %s has no subscription to invoice", case.public_id)
        return {"issued": False, "why": "no subscription"}
    except services.UnbalancedInvoice as error:
        services.flag_unbalanced(error)
        raise

    document = services.ensure_document(invoice)
    emailed = services.deliver(invoice)
    return {
        "issued": True,
        "invoice": invoice.number,
        "document": document.storage_name,
        "notice_queued": emailed,
    }
