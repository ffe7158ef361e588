from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Management commands that fill the demo with data; the app has no models."""

    name = "config.demo"
    label = "demo"
    verbose_name = _("Demo data")
