"""Forms of the writers' account pages: sign up and sign in with an email address."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError

from directorstudio.accounts.models import User
from directorstudio.accounts.services import (
    SignInThrottled,
    sign_in_check_allowed,
    sign_in_failure_record,
    sign_in_success_record,
)


class SignUpForm(forms.Form):
    """Email, password and its confirmation; the service checks the rules, the form the typing."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_password2(self) -> str:
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data["password2"]
        if password1 and password1 != password2:
            raise ValidationError("The two passwords do not match.", code="password_mismatch")
        return password2

    def clean(self):
        # Early feedback from Django's validators next to the field; writer_sign_up checks them again.
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, user=User(email=self.cleaned_data.get("email", "")))
            except ValidationError as error:
                self.add_error("password1", error)
        return self.cleaned_data


class SignInLimitMixin:
    """Counts an authentication form's failures per account and per client address (`sign_in_*` services).

    When the account or the address has used up its failures, even the right password is refused.
    """

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not email or password is None:
            return self.cleaned_data
        address = client_address(self.request)
        try:
            sign_in_check_allowed(email=email, address=address)
        except SignInThrottled as error:
            raise ValidationError(error.message, code=error.code) from None
        try:
            cleaned = super().clean()
        except ValidationError:
            sign_in_failure_record(email=email, address=address)
            raise
        sign_in_success_record(email=email)
        return cleaned


class EmailAuthenticationForm(SignInLimitMixin, AuthenticationForm):
    """Django's sign-in form, labelled for email, counting failures per account and per address.

    Unknown email, wrong password and a deactivated account get the same message.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email address or password is not correct. Check both and try again.",
        "inactive": "The email address or password is not correct. Check both and try again.",
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "maxlength": 254}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class AdminSignInForm(SignInLimitMixin, AdminAuthenticationForm):
    """The admin's sign-in form, sharing the writers' failure counts per account and per address."""


class LabelledPasswordResetForm(PasswordResetForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email"
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})


class LabelledSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm new password"


class LabelledPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm new password"


def client_address(request) -> str:
    """The client's address, as the API's throttles see it: REMOTE_ADDR, or with NUM_PROXIES the
    address that many hops from the end of X-Forwarded-For."""
    if request is None:
        return ""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(num_proxies, len(hops))]
    return remote_addr
