"""The writers' pages: the front page, the list of screenplays and the editor; writes go through the API."""

import uuid

from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from clips.selectors import project_overview_list
from directorstudio.errors import NotFound
from screenplays.models import ScreenplayRevision
from screenplays.selectors import screenplay_get, screenplay_list

HOME_ROWS = 8


def _with_counts(screenplays):
    """The screenplays with their scene count and, once its PDF was rendered, the current version's page count."""
    pages = ScreenplayRevision.objects.filter(screenplay=OuterRef("pk"), version=OuterRef("version")).values(
        "page_count"
    )
    return screenplays.annotate(
        scene_count=Count("sections"), page_count=Subquery(pages[:1], output_field=IntegerField())
    )


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _uuids(texts) -> list[uuid.UUID]:
    """The texts that are UUIDs (a project is usually named after its screenplay's id), as UUIDs."""
    return [value for value in map(_uuid, texts) if value is not None]


def home(request: HttpRequest) -> HttpResponse:
    """The front page: a writer's latest screenplays and projects, or the ways in for everybody else."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    screenplays = screenplay_list(user_id=request.user.id)
    projects = list(project_overview_list(user_id=request.user.id)[:HOME_ROWS])
    titles = dict(screenplays.filter(pk__in=_uuids(p.project_id for p in projects)).values_list("id", "title"))
    for project in projects:
        project.title = titles.get(_uuid(project.project_id)) or project.project_id
    return render(request, "home.html", {"screenplays": _with_counts(screenplays)[:HOME_ROWS], "projects": projects})


@login_required
def screenplay_list_page(request: HttpRequest) -> HttpResponse:
    """The writer's screenplays, newest first, searched by title, with create, import and delete."""
    query = request.GET.get("q", "").strip()
    screenplays = screenplay_list(user_id=request.user.id)
    if query:
        screenplays = screenplays.filter(title__icontains=query)
    return render(request, "screenplays/list.html", {"screenplays": _with_counts(screenplays), "query": query})


@login_required
def screenplay_editor(request: HttpRequest, screenplay_id: uuid.UUID) -> HttpResponse:
    """The editor of one of the writer's screenplays; anybody else's is a 404."""
    try:
        screenplay = screenplay_get(user_id=request.user.id, screenplay_id=screenplay_id)
    except NotFound as error:
        raise Http404(error.message) from error
    data = {
        "id": str(screenplay.id),
        "title": screenplay.title,
        "content": screenplay.content,
        "version": screenplay.version,
    }
    return render(request, "screenplays/editor.html", {"screenplay": screenplay, "screenplay_data": data})
