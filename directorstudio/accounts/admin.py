from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import urlencode

from directorstudio.accounts.models import RefreshToken, User
from directorstudio.admin import DirectorStudioModelAdmin, text_start


class LowercaseEmailMixin:
    """Store emails in lower case, as the user manager does, so sign-in finds them."""

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()


class UserCreationForm(LowercaseEmailMixin, auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(LowercaseEmailMixin, auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DirectorStudioModelAdmin, auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    owner_field = ""
    fieldsets = (
        (None, {"fields": ("id", "email", "password", "their_rows")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)
    readonly_fields = ("id", "last_login", "date_joined", "their_rows")
    list_display = ("email", text_start("id", 9), "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "date_joined")
    search_fields = ("=id", "email")
    date_hierarchy = "date_joined"
    ordering = ("email",)

    @admin.display(description="their rows")
    def their_rows(self, user: User) -> str:
        """Links to every table and view of the user's rows: the ledger, clip jobs, screenplays and the rest."""
        if user.pk is None:
            return "-"
        owned = sorted(
            (
                model_admin
                for model_admin in self.admin_site._registry.values()
                if isinstance(model_admin, DirectorStudioModelAdmin) and model_admin.owner_field
            ),
            key=lambda model_admin: str(model_admin.opts.verbose_name_plural),
        )
        return format_html_join(
            ", ",
            '<a href="{}?{}">{}</a>',
            (
                (
                    reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist"),
                    urlencode({f"{model_admin.owner_field}__exact": user.pk}),
                    model_admin.opts.verbose_name_plural,
                )
                for model_admin in owned
            ),
        )


@admin.register(RefreshToken)
class RefreshTokenAdmin(DirectorStudioModelAdmin):
    """API refresh tokens: staff can see sessions and revoke them; only sign-ins issue tokens."""

    list_display = ("user", "session_id", "created_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    owner_field = ""  # the user column shows the account's email
    search_fields = ("=session_id", "=user")
    list_filter = ("revoked_at", "expires_at", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = ("user", "session_id", "token_hash", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "session_id", "token_hash", "created_at", "expires_at")

    def has_add_permission(self, request) -> bool:
        return False
