"""Imports the modules that register built-in step handlers, so that they are known
before the first transition.

Handlers of one moment run in the order their modules are imported here, which is why
this file is kept out of import sorting.
"""
# ruff: noqa: I001, F401

from offboarding.purge import handlers as purge_handlers
from offboarding.revocation import handlers as revocation_handlers
from offboarding.exports import handlers as export_handlers
from offboarding.invoices import handlers as invoice_handlers
from offboarding.notices import handlers as notice_handlers
