"""Retention-window purge: batched deletion through the data registry, the tombstone that
survives it, and the deletion certificate.

Public entry points: :func:`offboarding.purge.service.purge_case`,
:func:`offboarding.purge.service.dry_run` and
:func:`offboarding.purge.certificate.issue_certificate`.
"""
