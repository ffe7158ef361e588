"""Settings for the test run: the demo host's settings with fast hashing and an in-memory broker."""

import os

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Transitions queue a Celery task after commit; in tests nothing consumes it unless a test
# starts a real worker, which then points both sides at OFFBOARDING_TEST_REDIS_URL.
# A worker subprocess started by a test gets the broker it shares with the test from
# OFFBOARDING_WORKER_BROKER_URL.
CELERY_BROKER_URL = os.environ.get("OFFBOARDING_WORKER_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}

TEST_REDIS_URL = os.environ.get("OFFBOARDING_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
