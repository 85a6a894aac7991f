from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SealedRecoveryDevice, SealedTOTPDevice, User

# django-otp's own device tables stay empty here (the sealed devices below replace them);
# its admin pages for them would only show two empty, oddly named sections.
for _unused in (StaticDevice, TOTPDevice):
    if admin.site.is_registered(_unused):
        admin.site.unregister(_unused)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(SealedTOTPDevice)
class SealedTOTPDeviceAdmin(admin.ModelAdmin):
    """Operators can see and remove a person's authenticator, never read its secret."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__email", "name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # made by the person, with their app, on the settings page


@admin.register(SealedRecoveryDevice)
class SealedRecoveryDeviceAdmin(admin.ModelAdmin):
    """How many recovery codes a person has left; the codes themselves are never shown."""

    list_display = ["user", "codes_left", "created_at", "last_used_at"]
    search_fields = ["user__email"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(codes_left=Count("codes"))

    @admin.display(ordering="codes_left")
    def codes_left(self, device: SealedRecoveryDevice) -> int:
        return device.codes_left

    def has_add_permission(self, request) -> bool:
        return False  # made by the person when they set up two-factor
