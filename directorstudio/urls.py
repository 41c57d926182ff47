from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # The front page and the writers' screenplay pages (screenplays/urls.py: "", "screenplays/...").
    path("", include("screenplays.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("directorstudio.accounts.urls")),
    path("api/", include("directorstudio.api_urls")),
    path("media/clips/", include("clips.urls")),
    path("continuity/", include("continuity.urls")),
    path("projects/", include("clips.page_urls")),
]
