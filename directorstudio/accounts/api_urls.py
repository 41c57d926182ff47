from django.urls import path

from directorstudio.accounts.api import LogoutApi, TokenApi, UserApi

urlpatterns = [
    path("auth/token", TokenApi.as_view(), name="auth-token"),
    path("auth/user", UserApi.as_view(), name="auth-user"),
    path("auth/logout", LogoutApi.as_view(), name="auth-logout"),
]
