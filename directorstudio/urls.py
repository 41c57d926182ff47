from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("directorstudio.accounts.urls")),
    path("api/", include("directorstudio.api_urls")),
    path("media/clips/", include("clips.urls")),
]
