"""The writers' pages: the front page, /screenplays/ and the editor (included at the site's root)."""

from django.urls import path

from screenplays import views

app_name = "screenplays"

urlpatterns = [
    path("", views.home, name="home"),
    path("screenplays/", views.screenplay_list_page, name="list"),
    path("screenplays/<uuid:screenplay_id>/", views.screenplay_editor, name="editor"),
    path("screenplays/<uuid:screenplay_id>/rename/", views.screenplay_rename_page, name="rename"),
    path("screenplays/<uuid:screenplay_id>/duplicate/", views.screenplay_duplicate_page, name="duplicate"),
]
