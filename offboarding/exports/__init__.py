"""Data export: the customer's rows in CSV, JSON, NDJSON and XLSX, as one ZIP archive."""
