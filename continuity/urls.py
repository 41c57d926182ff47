"""The writers' continuity pages (included at /continuity/)."""

from django.urls import path

from continuity import views

app_name = "continuity"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/<str:project_id>/", views.project_continuity, name="project"),
    path("projects/<str:project_id>/start/", views.project_start, name="project-start"),
]
