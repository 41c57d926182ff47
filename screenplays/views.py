"""The writers' pages: the front page, the list of screenplays and the editor; writes go through the API."""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from clips.selectors import project_overview_list
from directorstudio.errors import NotFound
from screenplays.selectors import screenplay_get, screenplay_summary_list, screenplay_titles

HOME_ROWS = 8


def home(request: HttpRequest) -> HttpResponse:
    """The front page: a writer's latest screenplays and projects, or the ways in for everybody else."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    projects = list(project_overview_list(user_id=request.user.id)[:HOME_ROWS])
    titles = screenplay_titles(user_id=request.user.id, ids=[project.project_id for project in projects])
    for project in projects:
        project.title = titles.get(project.project_id, project.project_id)
    screenplays = screenplay_summary_list(user_id=request.user.id)[:HOME_ROWS]
    return render(request, "home.html", {"screenplays": screenplays, "projects": projects})


@login_required
def screenplay_list_page(request: HttpRequest) -> HttpResponse:
    """The writer's screenplays, newest first, searched by title, with create, import and delete."""
    query = request.GET.get("q", "").strip()
    screenplays = screenplay_summary_list(user_id=request.user.id, title_contains=query)
    return render(request, "screenplays/list.html", {"screenplays": screenplays, "query": query})


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
