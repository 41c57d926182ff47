from django.contrib import admin
from django.urls import include, path

from directorstudio import metrics, views

urlpatterns = [
    # The API first: its calls are most of the traffic, and Django tries the patterns in order.
    path("api/", include("directorstudio.api_urls")),
    # The Supabase-compatible facade the mobile app speaks: /rest/v1, /auth/v1, /storage/v1.
    path("", include("directorstudio.facade.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # The front page and the writers' screenplay pages (screenplays/urls.py: "", "screenplays/...").
    path("", include("screenplays.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("directorstudio.accounts.urls")),
    path("media/clips/", include("clips.urls")),
    path("continuity/", include("continuity.urls")),
    path("projects/", include("clips.page_urls")),
]

# JSON `{"detail", "code"}` under /api/, Django's pages elsewhere; an unreachable database is a 503.
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
