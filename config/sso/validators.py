from oauth2_provider.oauth2_validators import OAuth2Validator


class DemoOIDCValidator(OAuth2Validator):
    """Adds the email and name claims that django-allauth reads to match users."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "email": "email",
        "email_verified": "email",
        "name": "profile",
    }

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            # The demo's users confirmed their address when their organisation added them.
            "email_verified": True,
            "name": user.get_full_name() or user.email,
        }
