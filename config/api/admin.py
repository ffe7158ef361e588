from django.contrib import admin

from config.api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "organisation", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    raw_id_fields = ["organisation", "created_by"]
    readonly_fields = ["prefix", "hashed_secret", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        # Keys are issued on the account's API keys page, the one place that shows the
        # plaintext. A key added here would have no plaintext that anyone could use.
        return False
