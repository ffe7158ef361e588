"""Admin for the invoices part."""
