"""Signals sent after lifecycle changes commit.

``case_transitioned`` is sent once per transition, after the transaction that made it
commits, with ``sender=OffboardingCase`` and the keyword arguments ``case``, ``action``
(the transition name, e.g. ``"confirm_cancel"``), ``from_state``, ``to_state``, ``actor``
(:class:`offboarding.models.Actor`) and ``moment`` (e.g. ``"boundary_reached"``).

``case_requested`` is sent when a case is opened, with ``case`` and ``actor``.

``step_finished`` is sent after a step handler succeeds or finally fails, with ``step``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.dispatch import Signal

if TYPE_CHECKING:
    from offboarding.models import Actor, OffboardingCase

case_requested = Signal()
case_transitioned = Signal()
step_finished = Signal()


def send_transition(
    case: OffboardingCase, action: str, from_state: str, to_state: str, actor: Actor, moment: str
) -> None:
    from offboarding.models import OffboardingCase

    case_transitioned.send(
        sender=OffboardingCase,
        case=case,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        moment=moment,
    )
