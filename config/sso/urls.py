"""The IdP under /o/: django-oauth-toolkit's endpoints with the IdP's own login."""

from django.urls import path
from oauth2_provider.urls import base_urlpatterns, oidc_urlpatterns

from config.sso import views

# django-oauth-toolkit reverses its views in this namespace.
app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", views.IdPAuthorizationView.as_view(), name="authorize"),
    path("login/", views.idp_login, name="idp-login"),
    *[pattern for pattern in base_urlpatterns if pattern.name != "authorize"],
    *oidc_urlpatterns,
]
