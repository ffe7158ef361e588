"""Access revocation at the boundary: sessions, single sign-on, API tokens and the host's.

A host adds a revoker by dotted path in ``OFFBOARDING["REVOKERS"]``: either a subclass of
:class:`Revoker` or a function ``revoke(case, account) -> int`` that returns how many
items it revoked. Every revoker must be idempotent.
"""

from offboarding.revocation.base import Revoked, Revoker, record_revocation, run_revoker

__all__ = ["Revoked", "Revoker", "record_revocation", "run_revoker"]
