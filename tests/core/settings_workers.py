"""Settings for worker subprocesses started by the tests: a host handler at every moment
that writes one row per run to the ``step_runs`` table."""

from tests.settings import *  # noqa: F403
from tests.settings import OFFBOARDING

OFFBOARDING = {
    **OFFBOARDING,
    "BUILTIN_STEP_HANDLERS": False,
    "STEP_HANDLERS": {
        "boundary_reached": ["tests.core.hooks.record_run_in_table"],
        "retention_over": ["tests.core.hooks.record_run_in_table"],
    },
}
