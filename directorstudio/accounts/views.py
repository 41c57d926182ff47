"""Writers' account pages: sign up, sign in, sign out, password reset and change."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from directorstudio.accounts.forms import (
    EmailAuthenticationForm,
    LabelledPasswordChangeForm,
    LabelledPasswordResetForm,
    LabelledSetPasswordForm,
    SignUpForm,
)
from directorstudio.accounts.services import writer_sign_up
from directorstudio.errors import Conflict, InvalidInput

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest) -> str:
    """The safe `next` of the request, or where writers land after signing in."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = writer_sign_up(email=form.cleaned_data["email"], password=form.cleaned_data["password1"])
        except Conflict:
            form.add_error(
                "email",
                "This email address cannot be used to sign up. If it is yours, sign in or reset your password.",
            )
        except InvalidInput as error:
            for field, field_messages in error.field_errors.items():
                for message in field_messages:
                    form.add_error("password1" if field == "password" else field, message)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, "Welcome to DirectorStudio. Your account is ready.")
            return HttpResponseRedirect(_next_url(request))
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


class SignInView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """POST only (Django 5); says so after signing out."""

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, "You have signed out.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LabelledPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = LabelledSetPasswordForm
    success_url = reverse_lazy("password_reset_complete")


# Own template names: the admin renders Django's registration/password_change_*.html for its own pages.
class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = LabelledPasswordChangeForm
    template_name = "registration/account_password_change_form.html"


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/account_password_change_done.html"
