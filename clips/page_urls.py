"""The writers' project pages, included under `/projects/`: the list of projects and a project's timeline."""

from django.urls import path

from clips import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list_page, name="list"),
    path("<str:project_id>/", views.timeline_page, name="timeline"),
]
