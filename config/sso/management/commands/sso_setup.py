from django.conf import settings
from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model

from config.sso import idp


class Command(BaseCommand):
    help = (
        "Set up the demo identity provider: write its RSA signing key to var/oidc.key if "
        "missing and register the product as its OpenID Connect client. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Origin the demo runs at; the client's redirect URIs are built from it.",
        )

    def handle(self, *args, **options):
        self.write_key()
        self.register_client(options["base_url"].rstrip("/"))

    def write_key(self):
        path = idp.key_path(settings.VAR_DIR)
        if path.exists():
            self.stdout.write(f"Signing key {path} exists")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(idp.generate_private_key())
        path.chmod(0o600)
        # The server reads the key when it starts, and `make demo` runs this before the server.
        self.stdout.write(
            f"Signing key written to {path}. A demo server that is already running loads it "
            "after a restart."
        )

    def register_client(self, base_url):
        application_model = get_application_model()
        callback = f"/accounts/oidc/{idp.PROVIDER_ID}/login/callback/"
        redirect_uris = " ".join(
            f"{origin}{callback}"
            for origin in (base_url, base_url.replace("127.0.0.1", "localhost"))
        )
        application = application_model.objects.filter(client_id=idp.CLIENT_ID).first()
        if application is None:
            application = application_model(client_id=idp.CLIENT_ID)
        application.name = "Acme Projects"
        application.client_type = application_model.CLIENT_CONFIDENTIAL
        application.authorization_grant_type = application_model.GRANT_AUTHORIZATION_CODE
        application.algorithm = application_model.RS256_ALGORITHM
        application.redirect_uris = redirect_uris
        application.skip_authorization = True
        application.client_secret = idp.CLIENT_SECRET
        application.save()
        self.stdout.write(f"OpenID Connect client {idp.CLIENT_ID!r} registered for {base_url}")
