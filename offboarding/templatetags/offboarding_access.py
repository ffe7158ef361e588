"""Template tags that ask whether the current user may still use the product."""

from __future__ import annotations

from django import template

from offboarding.access import user_can_reach_product

register = template.Library()


@register.simple_tag(takes_context=True)
def product_reachable(context: template.Context) -> bool:
    """Return whether a link to the product leads there: ``{% product_reachable as ok %}``.

    Without product access the middleware sends the owner from the product back to the
    portal, so a "Back to the product" link would only reload the portal.
    """
    request = context.get("request")
    if request is None:
        return False
    return user_can_reach_product(request, getattr(request, "user", None))
