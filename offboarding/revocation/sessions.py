"""Revocation of the members' Django sessions, found through an index kept at login.

A receiver of ``user_logged_in`` stores (user id, session key) in
:class:`~offboarding.models.SessionRecord`, so revocation deletes known keys instead of
decoding every row of the session table. Sessions created before the app was installed
are not indexed. ``ProductAccessMiddleware`` signs those out on their next request.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from offboarding.revocation.base import Revoked, Revoker

logger = logging.getLogger(__name__)

DB_ENGINE = "django.contrib.sessions.backends.db"
CHUNK = 1000


@receiver(user_logged_in, dispatch_uid="offboarding_record_session")
def record_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None or user is None:
        return
    if session.session_key is None:
        session.save()
    if not session.session_key:
        return  # Signed-cookie sessions have no key to revoke on the server.
    from offboarding.models import SessionRecord

    SessionRecord.objects.get_or_create(
        session_key=session.session_key, defaults={"user_id": str(user.pk)}
    )


@receiver(user_logged_out, dispatch_uid="offboarding_forget_session")
def forget_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        from offboarding.models import SessionRecord

        SessionRecord.objects.filter(session_key=session.session_key).delete()


def delete_sessions(keys: list[str]) -> int:
    """Delete ``keys`` from the configured session store; return how many existed."""
    if settings.SESSION_ENGINE == DB_ENGINE:
        from django.contrib.sessions.models import Session

        deleted, _ = Session.objects.filter(session_key__in=keys).delete()
        return deleted

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    deleted = 0
    for key in keys:
        store = store_class(key)
        if store.exists(key):
            deleted += 1
        store.delete(key)
    return deleted


class SessionRevoker(Revoker):
    name = "sessions"

    def revoke(self, case: Any, account: Any) -> Revoked:
        from offboarding.models import SessionRecord

        user_ids = [str(pk) for pk in self.member_ids(account)]
        deleted = 0
        for start in range(0, len(user_ids), CHUNK):
            records = SessionRecord.objects.filter(user_id__in=user_ids[start : start + CHUNK])
            keys = list(records.values_list("session_key", flat=True))
            if keys:
                deleted += delete_sessions(keys)
                SessionRecord.objects.filter(session_key__in=keys).delete()
        return Revoked(deleted, {"members": len(user_ids)})
