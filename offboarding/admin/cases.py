"""Admin for the cases part."""
