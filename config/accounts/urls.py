from django.urls import path

from config.accounts import views

app_name = "accounts"

urlpatterns = [
    path("switch/", views.switch, name="switch"),
    path("settings/", views.account_settings, name="settings"),
    path("settings/billing/", views.billing_overview, name="billing"),
    path("settings/api-keys/", views.api_keys, name="api-keys"),
    path("settings/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
