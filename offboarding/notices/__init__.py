"""Notices: the email cadence, the outbox and one-click unsubscribe.

Other parts queue a notice with :func:`offboarding.notices.api.queue_notice`; the cadence
configured in the admin is queued by :func:`offboarding.notices.jobs.process_due_notices`,
which the due-work scan runs.
"""
