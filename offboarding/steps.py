"""Step handlers: the work that runs at lifecycle moments, once per case and handler.

When a transition commits, one :class:`~offboarding.models.CaseStep` row is written for
each handler of its moment in the same transaction. Workers claim due rows with a lease,
run the handler and record its result; a failure is retried with a doubling delay, and a
worker killed midway leaves the row to be claimed again when its lease expires. Handlers
must therefore be idempotent: running one twice for the same case must change nothing
the second time.

A handler is a callable ``handler(case, step) -> dict | None``. The app's parts register
theirs with :func:`step_handler`; host projects add theirs by dotted path in
``OFFBOARDING["STEP_HANDLERS"] = {"boundary_reached": ["myapp.hooks.notify_crm"]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from offboarding.conf import app_settings

logger = logging.getLogger(__name__)

MOMENTS = (
    "requested",
    "cancellation_confirmed",
    "saved",
    "withdrawn",
    "boundary_reached",
    "vaulted",
    "vault_left",
    "reactivated",
    "retention_over",
    "purged",
    "abandoned",
    "pause_ended",
)

Handler = Callable[[Any, Any], "dict | None"]

# moment -> {handler name: callable}, filled by the app's parts at import time.
_builtin: dict[str, dict[str, Handler]] = {moment: {} for moment in MOMENTS}


def step_handler(moment: str, name: str | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated function as a built-in handler of ``moment``."""
    if moment not in MOMENTS:
        raise ValueError(f"Unknown moment {moment!r}; expected one of {MOMENTS}.")

    def register(func: Handler) -> Handler:
        _builtin[moment][name or f"{func.__module__}.{func.__qualname__}"] = func
        return func

    return register


def handlers_for(moment: str) -> dict[str, Handler]:
    """Return the handlers of ``moment`` by name: built-in ones first, then the host's."""
    found: dict[str, Handler] = {}
    if app_settings.BUILTIN_STEP_HANDLERS:
        found.update(_builtin.get(moment, {}))
    for path in app_settings.STEP_HANDLERS.get(moment, []):
        found[path] = import_string(path)
    return found


def enqueue_moment(case: Any, moment: str) -> int:
    """Write a pending step per handler of ``moment``; an existing step is left as it is."""
    from offboarding.models import CaseStep

    names = list(handlers_for(moment))
    if not names:
        return 0
    now = timezone.now()
    CaseStep.objects.bulk_create(
        [CaseStep(case=case, moment=moment, handler=name, next_attempt_at=now) for name in names],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _queue_worker(case.pk))
    return len(names)


def _queue_worker(case_id: int) -> None:
    """Ask a Celery worker to run the case's steps now; the scan catches up if this is lost."""
    from offboarding import tasks

    try:
        tasks.run_case_steps.delay(case_id)
    except Exception:  # A broker that is down must not fail the web request.
        logger.warning("Could not queue steps of case id %s; the next scan runs them", case_id)


def claim_next_step(case_id: int | None = None) -> Any | None:
    """Claim one due step with a lease and return it, or None when nothing is due."""
    from offboarding.models import CaseStep

    now = timezone.now()
    due = CaseStep.objects.filter(
        status__in=[CaseStep.Status.PENDING, CaseStep.Status.RUNNING], next_attempt_at__lte=now
    ).exclude(status=CaseStep.Status.RUNNING, lease_expires_at__gt=now)
    if case_id is not None:
        due = due.filter(case_id=case_id)

    with transaction.atomic():
        step = due.select_for_update(skip_locked=True).order_by("next_attempt_at", "pk").first()
        if step is None:
            return None
        step.status = CaseStep.Status.RUNNING
        step.attempts += 1
        step.started_at = step.started_at or now
        step.lease_expires_at = now + app_settings.STEP_LEASE
        step.save(update_fields=["status", "attempts", "started_at", "lease_expires_at"])
    return step


def run_step(step: Any) -> bool:
    """Run a claimed step's handler and record the outcome; return whether it succeeded."""
    from offboarding import signals
    from offboarding.models import CaseStep

    handler = handlers_for(step.moment).get(step.handler)
    try:
        if handler is None:
            raise LookupError(
                f"No handler named {step.handler!r} is registered for {step.moment!r}."
            )
        result = handler(step.case, step) or {}
    except Exception as error:
        logger.exception(
            "Step %s of case %s failed (attempt %s)",
            step.handler,
            step.case.public_id,
            step.attempts,
        )
        _record_failure(step, error)
        return False

    finished = CaseStep.objects.filter(pk=step.pk, status=CaseStep.Status.RUNNING).update(
        status=CaseStep.Status.DONE,
        finished_at=timezone.now(),
        result=result,
        lease_expires_at=None,
        last_error="",
    )
    if finished:
        step.refresh_from_db()
        logger.info("Step %s of case %s done", step.handler, step.case.public_id)
        signals.step_finished.send(sender=CaseStep, step=step)
        _after_moment(step)
    return True


def _record_failure(step: Any, error: Exception) -> None:
    from offboarding.models import CaseStep

    message = f"{type(error).__name__}: {error}"[:2000]
    if step.attempts >= app_settings.STEP_MAX_ATTEMPTS:
        CaseStep.objects.filter(pk=step.pk).update(
            status=CaseStep.Status.FAILED,
            last_error=message,
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        step.case.record(
            "step_failed",
            actor=_system(),
            reason=message,
            data={"moment": step.moment, "handler": step.handler, "attempts": step.attempts},
            needs_attention=True,
            attention_reason=f"{step.moment}: {step.handler} failed after {step.attempts} attempts",
        )
        step.refresh_from_db()
        from offboarding import signals

        signals.step_finished.send(sender=CaseStep, step=step)
        return

    delay = app_settings.STEP_RETRY_DELAY * (2 ** (step.attempts - 1))
    CaseStep.objects.filter(pk=step.pk).update(
        status=CaseStep.Status.PENDING,
        last_error=message,
        lease_expires_at=None,
        next_attempt_at=timezone.now() + min(delay, timedelta(hours=6)),
    )


def retry_step(step: Any) -> None:
    """Put a failed step back in the queue, for staff who fixed the cause."""
    from offboarding.models import CaseStep

    CaseStep.objects.filter(pk=step.pk, status=CaseStep.Status.FAILED).update(
        status=CaseStep.Status.PENDING,
        next_attempt_at=timezone.now(),
        attempts=0,
        finished_at=None,
    )


def _after_moment(step: Any) -> None:
    """Finish the purge once every handler of its moment is done."""
    from offboarding.models import CaseStep

    if step.moment != "retention_over":
        return
    open_steps = CaseStep.objects.filter(case_id=step.case_id, moment=step.moment).exclude(
        status=CaseStep.Status.DONE
    )
    if open_steps.exists():
        return
    from offboarding.services import lifecycle

    lifecycle.complete_purge(step.case)


def _system() -> Any:
    from offboarding.models import Actor

    return Actor.system()


def run_pending_steps(limit: int = 100, case_id: int | None = None) -> int:
    """Claim and run up to ``limit`` due steps; return how many ran."""
    ran = 0
    while ran < limit:
        step = claim_next_step(case_id)
        if step is None:
            break
        run_step(step)
        ran += 1
    return ran
