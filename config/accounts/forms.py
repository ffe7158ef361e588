from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.accounts.models import Organisation


class OrganisationSettingsForm(forms.ModelForm):
    """Organisation fields that owners and admins may change; staff set the jurisdiction."""

    class Meta:
        model = Organisation
        fields = [
            "name",
            "timezone",
            "language",
            "billing_email",
            "billing_address",
            "country_code",
            "vat_id",
        ]
        widgets = {"billing_address": forms.Textarea(attrs={"rows": 3})}

    def clean_country_code(self) -> str:
        value = self.cleaned_data["country_code"].strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("Enter a two-letter country code, for example DE."))
        return value


class SwitchOrganisationForm(forms.Form):
    organisation = forms.IntegerField(widget=forms.HiddenInput)


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the key is used, for example 'Nightly export script'."),
    )
