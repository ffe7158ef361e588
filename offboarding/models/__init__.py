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
from offboarding.models.exports import DataExport, ExportFormat, ExportStatus
from offboarding.models.invoices import (
    FinalInvoice,
    FinalInvoiceClosure,
    FinalInvoiceDocument,
    FinalInvoiceLine,
    FinalInvoicePayment,
    InvoiceCounter,
)
from offboarding.models.ledger import LedgerEntry, LedgerSubscription, Plan
from offboarding.models.notices import (
    CadenceStep,
    CaseNoticeProfile,
    NoticeUnsubscribe,
    OutboxMessage,
)
from offboarding.models.portal import (
    OfferEvent,
    SaveOffer,
    SurveyQuestion,
    SurveyReason,
    SurveyResponse,
)
from offboarding.models.retention import (
    DeletionCertificate,
    PendingFileDeletion,
    PurgeProgress,
    PurgeRun,
    RevocationRecord,
    SessionRecord,
    Tombstone,
)

__all__ = [
    "Actor",
    "ActorKind",
    "AuditEvent",
    "CadenceStep",
    "CaseNoticeProfile",
    "CaseState",
    "CaseStep",
    "ClockState",
    "DataExport",
    "DeletionCertificate",
    "ExportFormat",
    "ExportStatus",
    "FinalInvoice",
    "FinalInvoiceClosure",
    "FinalInvoiceDocument",
    "FinalInvoiceLine",
    "FinalInvoicePayment",
    "IllegalTransition",
    "InvoiceCounter",
    "LedgerEntry",
    "LedgerSubscription",
    "NoticeUnsubscribe",
    "OfferEvent",
    "OffboardingCase",
    "OutboxMessage",
    "PendingFileDeletion",
    "Plan",
    "PurgeProgress",
    "PurgeRun",
    "RevocationRecord",
    "SaveKind",
    "SaveOffer",
    "SessionRecord",
    "SurveyQuestion",
    "SurveyReason",
    "SurveyResponse",
    "Tombstone",
]
