"""Host-defined step handlers used by the tests, referenced by dotted path in settings."""

from django.db import connection

calls: list[tuple[str, str]] = []


def remember(case, step):
    calls.append((step.moment, case.public_id))
    return {"seen": case.state}


def always_fails(case, step):
    raise ConnectionError("CRM is down")


def record_run_in_table(case, step):
    """Insert one row per run into ``step_runs`` so another process can count the runs."""
    import os
    import time

    time.sleep(0.005)  # Widen the window in which two workers could overlap.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO step_runs (case_id, moment, pid) VALUES (%s, %s, %s)",
            [case.pk, step.moment, os.getpid()],
        )
    return {"pid": os.getpid()}
