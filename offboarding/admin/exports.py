"""Admin for the exports part."""
