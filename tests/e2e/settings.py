"""Settings of the processes that the end-to-end test starts: web server, worker and beat.

The test's settings plus the environment the harness sets. The absolute links in emails
point at the test's web server. The beat runs the due-work scan and the notice sender
every few seconds instead of every minute, so the walk does not wait for them.
"""

import os
from datetime import timedelta

from tests.settings import *  # noqa: F403
from tests.settings import OFFBOARDING

OFFBOARDING = {
    **OFFBOARDING,
    "SITE_URL": os.environ.get("OFFBOARDING_SITE_URL", "http://127.0.0.1:8000"),
    "SCAN_INTERVAL_SECONDS": int(os.environ.get("OFFBOARDING_SCAN_INTERVAL_SECONDS", "2")),
    "NOTICE_SEND_INTERVAL_SECONDS": int(
        os.environ.get("OFFBOARDING_NOTICE_SEND_INTERVAL_SECONDS", "2")
    ),
    # The harness shortens it so the walk's export download requires a re-authentication.
    "REAUTHENTICATION_MAX_AGE": int(os.environ.get("OFFBOARDING_REAUTHENTICATION_MAX_AGE", "10")),
    # A step or an export that failed once is retried within seconds, not a minute.
    "STEP_RETRY_DELAY": timedelta(seconds=2),
    "EXPORT_RETRY_DELAY": timedelta(seconds=2),
    "NOTICE_RETRY_DELAY": timedelta(seconds=2),
}
