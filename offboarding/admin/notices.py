"""Admin for the notices part."""
