"""Routes of the signed clip files (the MP4 and its poster), included under `/media/clips/`."""

from django.urls import path

from clips import views

app_name = "clips"

urlpatterns = [
    path("<uuid:clip_job_id>/<uuid:user_id>/<str:signature>.mp4", views.clip_video, name="video"),
    path("<uuid:clip_job_id>/<uuid:user_id>/<str:signature>.jpg", views.clip_poster, name="poster"),
]
