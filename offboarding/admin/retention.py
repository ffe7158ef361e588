"""Admin for the retention part."""
