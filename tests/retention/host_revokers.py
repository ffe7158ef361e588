"""Host revokers used by the tests, named by dotted path in OFFBOARDING["REVOKERS"]."""

from offboarding.revocation import Revoked

calls = {"flaky": 0}


class FlakyRevokerError(RuntimeError):
    pass


def flaky(case, account):
    """Fail on the first call, as a host service that is briefly down, then succeed."""
    calls["flaky"] += 1
    if calls["flaky"] == 1:
        raise FlakyRevokerError("the host's token service is down")
    return Revoked(2, {"tokens": 2})
