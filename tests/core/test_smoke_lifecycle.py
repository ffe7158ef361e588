from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Actor, CaseState
from offboarding.services import lifecycle
from tests.conftest import utc


def test_cancel_walk(frozen_clock, monthly_plan, django_user_model, settings):
    settings.OFFBOARDING = {"CLOCK": "database"}
    user = django_user_model.objects.create_user("ann", "ann@example.com", "pw")
    frozen_clock.at(utc(2024, 1, 31, 10))
    LocalLedgerBackend().subscribe(str(user.pk), "team-monthly", utc(2024, 1, 31, 10))
    frozen_clock.at(utc(2024, 3, 5))
    case = lifecycle.open_case(user, user)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(user))
    assert case.state == CaseState.SCHEDULED
    assert case.boundary_at == utc(2024, 3, 31, 10)
