from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffboardingConfig(AppConfig):
    name = "offboarding"
    verbose_name = _("Offboarding")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks and the built-in step handlers.
        from offboarding import checks, handlers  # noqa: F401
        from offboarding.exports import checks as export_checks  # noqa: F401
        from offboarding.invoices import checks as invoice_checks  # noqa: F401
