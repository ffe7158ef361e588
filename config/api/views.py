"""The JSON API, authenticated with an organisation's API key as a bearer token."""

from __future__ import annotations

import logging
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.api.models import ApiKey
from config.workspace.models import Project
from offboarding import clock

logger = logging.getLogger(__name__)


def _unauthorized(message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def api_key_required(view):
    """Reject a request without a valid, unrevoked key with 401; set ``request.api_key``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        scheme, _separator, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized(
                _("Missing API key: send the header 'Authorization: Bearer <key>'.")
            )

        api_key = ApiKey.objects.authenticate(token.strip())
        if api_key is None:
            logger.warning("API request rejected: unknown or revoked key")
            return _unauthorized(_("Invalid API key: it is unknown or has been revoked."))

        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=clock.now())
        request.api_key = api_key
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@api_key_required
def project_list(request: HttpRequest) -> JsonResponse:
    organisation = request.api_key.organisation
    projects = Project.objects.filter(organisation=organisation).order_by("pk")
    return JsonResponse(
        {
            "organisation": organisation.slug,
            "projects": [
                {
                    "id": project.pk,
                    "key": project.key,
                    "name": project.name,
                    "status": project.status,
                    "due_on": project.due_on.isoformat() if project.due_on else None,
                    "created_at": project.created_at.isoformat(),
                }
                for project in projects
            ],
        }
    )
