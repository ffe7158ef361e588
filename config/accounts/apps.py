from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "config.accounts"
    label = "accounts"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from config.accounts.signup import on_user_signed_up

        user_signed_up.connect(on_user_signed_up, dispatch_uid="config.accounts.signup")
