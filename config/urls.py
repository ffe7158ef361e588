from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


class FaviconView(RedirectView):
    """Redirect the /favicon.ico that browsers ask for on every page to the static icon."""

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.ico")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("offboarding/", include("offboarding.urls")),
    # The demo product around the app.
    path("", RedirectView.as_view(pattern_name="workspace:dashboard"), name="home"),
    path("accounts/", include("allauth.urls")),
    path("app/", include("config.workspace.urls")),
    path("app/", include("config.accounts.urls")),
    path("api/", include("config.api.urls")),
    # The demo identity provider for single sign-on.
    path("o/", include("config.sso.urls")),
]
