"""The writers' pages: the front page, the list of screenplays and the editor; writes go through the API,
but for the list's rename and copy, which post here."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clips.selectors import project_overview_list
from directorstudio.errors import InvalidInput, NotFound, VersionConflict
from screenplays.forms import ScreenplayRenameForm
from screenplays.selectors import SUMMARY_ORDERS, screenplay_get, screenplay_summary_list, screenplay_titles
from screenplays.services import screenplay_duplicate, screenplay_rename

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


# The list's sortable columns: the order each starts with, and how the page names it.
LIST_COLUMNS = {"title": ("title", "Title"), "pages": ("-pages", "Pages"), "updated": ("-updated", "Last change")}
LIST_ORDER_DEFAULT = "-updated"


def _list_order(value: str) -> str:
    return value if value in SUMMARY_ORDERS else LIST_ORDER_DEFAULT


def _list_url(*, order: str, query: str) -> str:
    """The list's address with the given order and search, each left out when it is the default."""
    params = {name: value for name, value in (("sort", order), ("q", query)) if value and value != LIST_ORDER_DEFAULT}
    return reverse("screenplays:list") + (f"?{urlencode(params)}" if params else "")


@login_required
def screenplay_list_page(request: HttpRequest) -> HttpResponse:
    """The writer's screenplays, newest first or sorted, searched by title; create, import, rename, copy, delete."""
    query = request.GET.get("q", "").strip()
    order = _list_order(request.GET.get("sort", ""))
    screenplays = screenplay_summary_list(user_id=request.user.id, title_contains=query, order=order)
    columns = {}
    for name, (first_order, label) in LIST_COLUMNS.items():
        active = order.lstrip("-") == name
        # A click on the sorted column turns its order around; another column starts with its own.
        next_order = (order[1:] if order.startswith("-") else f"-{order}") if active else first_order
        columns[name] = {
            "label": label,
            "url": _list_url(order=next_order, query=query),
            "sort": ("descending" if order.startswith("-") else "ascending") if active else None,
        }
    context = {"screenplays": screenplays, "query": query, "order": order, "columns": columns}
    return render(request, "screenplays/list.html", context)


def _back_to_list(request: HttpRequest) -> HttpResponse:
    return redirect(_list_url(order=_list_order(request.POST.get("sort", "")), query=request.POST.get("q", "").strip()))


@login_required
@require_POST
def screenplay_rename_page(request: HttpRequest, screenplay_id: uuid.UUID) -> HttpResponse:
    """Rename one of the writer's screenplays from the list, then show the list again with what happened."""
    form = ScreenplayRenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return _back_to_list(request)
    try:
        screenplay = screenplay_rename(
            user_id=request.user.id,
            screenplay_id=screenplay_id,
            based_on_version=form.cleaned_data["version"],
            title=form.cleaned_data["title"],
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except VersionConflict:
        messages.error(request, "Not renamed: the screenplay was saved elsewhere meanwhile. Here it is as it is now.")
    except InvalidInput as error:
        messages.error(request, f"Not renamed: {' '.join(error.field_errors['title'])}")
    else:
        messages.success(request, f"Renamed “{screenplay.title}”.")
    return _back_to_list(request)


@login_required
@require_POST
def screenplay_duplicate_page(request: HttpRequest, screenplay_id: uuid.UUID) -> HttpResponse:
    """Copy one of the writer's screenplays from the list; the copy comes first, as the latest change."""
    try:
        copy = screenplay_duplicate(user_id=request.user.id, screenplay_id=screenplay_id)
    except NotFound as error:
        raise Http404(error.message) from error
    messages.success(request, f"“{copy.title}” is a new screenplay with the same text.")
    return _back_to_list(request)


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
