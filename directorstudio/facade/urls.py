from django.urls import include, path

# Each part of the facade adds its prefix here: rest/v1/, auth/v1/, storage/v1/.
urlpatterns = [
    path("rest/v1/", include("directorstudio.facade.rest.urls")),
    path("auth/v1/", include("directorstudio.facade.auth.urls")),
    path("storage/v1/", include("directorstudio.facade.storage.urls")),
]
