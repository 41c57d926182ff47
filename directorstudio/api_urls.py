from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# Django tries the patterns in order: clips first, for the clip status poll is the API's most frequent call.
app_api_urlconfs = [
    "clips.api_urls",
    "directorstudio.accounts.api_urls",
    "screenplays.api_urls",
    "credits.api_urls",
    "continuity.api_urls",
]

urlpatterns = [
    *[path("v1/", include(urlconf)) for urlconf in app_api_urlconfs],
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
