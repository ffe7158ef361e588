from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "config.sso"
    label = "sso"
    verbose_name = "Demo single sign-on"
