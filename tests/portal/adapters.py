"""Adapters for portal tests: users are accounts, with a fixed jurisdiction profile."""

from offboarding.adapter import DefaultOffboardingAdapter


class EuAdapter(DefaultOffboardingAdapter):
    def get_jurisdiction(self, account):
        return "eu"


class EuBusinessAdapter(EuAdapter):
    def is_consumer(self, account):
        return False


class GermanAdapter(DefaultOffboardingAdapter):
    def get_jurisdiction(self, account):
        return "de"


class KeepAccountRowAdapter(DefaultOffboardingAdapter):
    """Users are accounts, and the purge keeps the user row, as some hosts choose."""

    def purge_account_row(self, account):
        return False
