"""The demo's OpenID Connect identity provider, built on django-oauth-toolkit.

It runs in the demo's own process under ``/o/`` and signs ID tokens with an RSA key that
``manage.py sso_setup`` writes to ``var/oidc.key``. Its users are the demo's users: the
IdP checks their password on its own login page and keeps its sign-in under a separate
session key, so signing in at the IdP does not sign anyone in to the product. Only
django-allauth's ``openid_connect`` provider does that, after the callback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CLIENT_ID = "demo-sso"
PROVIDER_ID = "demo-idp"
# The demo's own client secret; set DEMO_SSO_CLIENT_SECRET for anything but a local demo.
CLIENT_SECRET = os.environ.get("DEMO_SSO_CLIENT_SECRET", "demo-sso-secret-change-me")
SERVER_URL = os.environ.get("DEMO_SSO_SERVER_URL", "http://127.0.0.1:8000/o")
KEY_FILE_NAME = "oidc.key"


def key_path(var_dir: Path) -> Path:
    return Path(var_dir) / KEY_FILE_NAME


def read_private_key(var_dir: Path) -> str:
    """Return the PEM of the IdP's signing key, or "" before ``sso_setup`` has run."""
    path = key_path(var_dir)
    return path.read_text() if path.exists() else ""


def generate_private_key() -> str:
    """Return a new 2048-bit RSA private key as PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def provider_settings(var_dir: Path) -> dict[str, Any]:
    """Return the ``OAUTH2_PROVIDER`` settings of the demo IdP."""
    return {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": read_private_key(var_dir),
        "PKCE_REQUIRED": True,
        "OAUTH2_VALIDATOR_CLASS": "config.sso.validators.DemoOIDCValidator",
        "SCOPES": {
            "openid": "OpenID Connect",
            "profile": "Your name",
            "email": "Your email address",
        },
    }


def allauth_app(server_url: str = SERVER_URL) -> dict[str, Any]:
    """Return django-allauth's ``openid_connect`` app entry that logs in through the IdP."""
    return {
        "provider_id": PROVIDER_ID,
        "name": "Demo SSO",
        "client_id": CLIENT_ID,
        "secret": CLIENT_SECRET,
        "settings": {"server_url": server_url, "oauth_pkce_enabled": True},
    }
