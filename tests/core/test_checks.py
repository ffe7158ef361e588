import pytest

from offboarding.checks import check_settings


def ids(settings_value, settings):
    settings.OFFBOARDING = settings_value
    return [message.id for message in check_settings()]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"ACCOUNT_MODEL": "nope.Missing"}, "offboarding.E001"),
        ({"ACCOUNT_MODEL": "no-dot"}, "offboarding.E001"),
        ({"ADAPTER": "offboarding.missing.Adapter"}, "offboarding.E002"),
        ({"ADAPTER": "offboarding.conf.AppSettings"}, "offboarding.E002"),
        ({"BILLING_BACKEND": "offboarding.billing.nothing.Backend"}, "offboarding.E003"),
        ({"BILLING_BACKEND": "offboarding.adapter.DefaultOffboardingAdapter"}, "offboarding.E003"),
        ({"CLOCK": "sundial"}, "offboarding.E004"),
        ({"PAUSE_DAYS": [30, "60"]}, "offboarding.E005"),
        ({"PAUSE_DAYS": [0]}, "offboarding.E005"),
        ({"PAUSE_DAYS": 30}, "offboarding.E005"),
        ({"RETENTION_DAYS": -1}, "offboarding.E006"),
        ({"RETENTION_DAYS_BY_PLAN": {"pro": "sixty"}}, "offboarding.E006"),
        ({"STORAGE_ALIAS": "archives"}, "offboarding.E007"),
        ({"PURGE_BATCH_SIZE": 0}, "offboarding.E009"),
        ({"PURGE_CONNECTIONS": "2"}, "offboarding.E009"),
        ({"PURGE_CONNECTIONS": True}, "offboarding.E009"),
        ({"PURGE_TRANSACTION_TARGET": "40ms"}, "offboarding.E010"),
        ({"PURGE_TRANSACTION_TARGET": 0}, "offboarding.E010"),
        ({"PURGE_TRANSACTION_TARGET": float("nan")}, "offboarding.E010"),
        ({"STEP_HANDLERS": ["tests.core.hooks.remember"]}, "offboarding.E008"),
        ({"STEP_HANDLERS": {"lunchtime": ["tests.core.hooks.remember"]}}, "offboarding.E008"),
        ({"STEP_HANDLERS": {"purged": ["tests.core.hooks.not_there"]}}, "offboarding.E008"),
        ({"STEP_HANDLERS": {"purged": ["tests.core.hooks.calls"]}}, "offboarding.E008"),
        ({"RETENTON_DAYS": 30}, "offboarding.W001"),
    ],
)
def test_check_reports_misconfiguration(value, expected, settings):
    assert expected in ids(value, settings)


def test_check_rejects_non_dict(settings):
    settings.OFFBOARDING = ["CLOCK", "system"]
    assert [message.id for message in check_settings()] == ["offboarding.E000"]


def test_database_clock_warns_without_debug(settings):
    settings.DEBUG = False
    assert "offboarding.W002" in ids({"CLOCK": "database"}, settings)


def test_valid_settings_pass(settings):
    settings.DEBUG = True
    assert (
        ids(
            {
                "CLOCK": "database",
                "PAUSE_DAYS": [14, 30],
                "PURGE_CONNECTIONS": 1,
                "PURGE_TRANSACTION_TARGET": None,
                "STEP_HANDLERS": {"purged": ["tests.core.hooks.remember"]},
            },
            settings,
        )
        == []
    )


def test_every_message_has_hint(settings):
    settings.OFFBOARDING = {"ACCOUNT_MODEL": "x.Y", "CLOCK": "sundial", "RETENTON_DAYS": 1}
    assert all(message.hint for message in check_settings())
