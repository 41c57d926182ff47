from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

app_api_urlconfs = [
    "directorstudio.accounts.api_urls",
    "screenplays.api_urls",
    "clips.api_urls",
    "credits.api_urls",
    "continuity.api_urls",
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    *[path("v1/", include(urlconf)) for urlconf in app_api_urlconfs],
]
