from offboarding.models.cases import (
    Actor,
    ActorKind,
    AuditEvent,
    CaseState,
    CaseStep,
    IllegalTransition,
    OffboardingCase,
    SaveKind,
)
from offboarding.models.clock import ClockState
from offboarding.models.ledger import LedgerEntry, LedgerSubscription, Plan

__all__ = [
    "Actor",
    "ActorKind",
    "AuditEvent",
    "CaseState",
    "CaseStep",
    "ClockState",
    "IllegalTransition",
    "LedgerEntry",
    "LedgerSubscription",
    "OffboardingCase",
    "Plan",
    "SaveKind",
]
