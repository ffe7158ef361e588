"""Admin for the portal part."""
