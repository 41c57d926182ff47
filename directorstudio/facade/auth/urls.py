"""GoTrue's paths, under /auth/v1/ (clients call them without a trailing slash)."""

from django.urls import path, re_path

from directorstudio.facade.auth import views

urlpatterns = [
    path("signup", views.SignUpView.as_view(), name="gotrue-signup"),
    path("token", views.TokenView.as_view(), name="gotrue-token"),
    path("user", views.UserView.as_view(), name="gotrue-user"),
    path("logout", views.LogoutView.as_view(), name="gotrue-logout"),
    path("recover", views.RecoverView.as_view(), name="gotrue-recover"),
    path("settings", views.SettingsView.as_view(), name="gotrue-settings"),
    path("health", views.HealthView.as_view(), name="gotrue-health"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
