"""Routes of the signed files (a clip's MP4 and poster, an exported film, an upload), included under `/media/clips/`."""

from django.urls import path

from clips import views

app_name = "clips"

urlpatterns = [
    path("<uuid:clip_job_id>/<uuid:user_id>/<str:signature>.mp4", views.clip_video, name="video"),
    path("<uuid:clip_job_id>/<uuid:user_id>/<str:signature>.jpg", views.clip_poster, name="poster"),
    # The id is the film export's or the video upload's; the signature covers the kind, so none opens another.
    path("films/<uuid:clip_job_id>/<uuid:user_id>/<str:signature>.mp4", views.film_video, name="film"),
    path("uploads/<uuid:clip_job_id>/<uuid:user_id>/<str:signature>.mp4", views.upload_video, name="upload"),
]
