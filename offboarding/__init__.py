"""django-offboarding: the whole exit of a SaaS customer, as a reusable Django app."""

__version__ = "0.1.0"
