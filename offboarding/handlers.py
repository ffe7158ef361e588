"""Imports the modules that register built-in step handlers, so that they are known
before the first transition. Each part of the app adds its module here."""
