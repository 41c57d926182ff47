"""The writers' continuity pages: a project's scenes validated in order, and the dashboard of their analytics."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clips.selectors import project_overview_list
from continuity import charts, selectors
from continuity.engine import PERFORMANCE_CATEGORIES, Issue, issues_from_json
from continuity.forms import SceneStateForm
from continuity.models import ContinuityLog
from continuity.services import scene_states_start_from_drafts, scene_states_validate
from directorstudio.errors import InvalidInput, NotFound
from screenplays.fountain import prompt_heading
from screenplays.selectors import screenplay_list, screenplay_scene_headings, screenplay_titles

PERIODS = (30, 90, 365)
RECENT_ROWS = 20
PROJECT_ROWS = 12


def _project_title(user_id: uuid.UUID, project_id: str) -> str:
    """A project's name: its screenplay's title when it was made from one, else its id."""
    try:
        screenplay_id = uuid.UUID(project_id)
    except ValueError:
        return project_id
    return (
        screenplay_list(user_id=user_id).filter(pk=screenplay_id).values_list("title", flat=True).first() or project_id
    )


def _projects(user_id: uuid.UUID) -> list[tuple[str, str, int]]:
    """The writer's projects, most recently changed first: id, name and scene count."""
    projects = list(project_overview_list(user_id=user_id)[:PROJECT_ROWS])
    ids = []
    for project in projects:
        try:
            ids.append(uuid.UUID(project.project_id))
        except ValueError:
            continue
    titles = {
        str(pk): title for pk, title in screenplay_list(user_id=user_id).filter(pk__in=ids).values_list("pk", "title")
    }
    return [(p.project_id, titles.get(p.project_id, p.project_id), p.scene_count) for p in projects]


def _project_scenes(user_id: uuid.UUID, project_id: str) -> list[selectors.ProjectScene]:
    try:
        return selectors.project_scene_list(user_id=user_id, project_id=project_id)
    except NotFound as error:
        raise Http404(error.message) from error


@login_required
@require_http_methods(["GET", "POST"])
def project_continuity(request: HttpRequest, project_id: str) -> HttpResponse:
    """A project's scenes in timeline order with their states; a POST saves them and validates the sequence."""
    scenes = _project_scenes(request.user.id, project_id)
    forms = {
        scene.state.id: SceneStateForm(
            request.POST if request.method == "POST" else None,
            prefix=f"scene-{scene.state.id}",
            initial={name: getattr(scene.state, name) for name in SceneStateForm.base_fields},
        )
        for scene in scenes
        if scene.state
    }
    status = 200
    if request.method == "POST":
        if forms and all(form.is_valid() for form in forms.values()):
            try:
                results = scene_states_validate(
                    user_id=request.user.id,
                    scenes=[{"id": state_id, **form.cleaned_data} for state_id, form in forms.items()],
                    opens_sequence=True,
                )
            except InvalidInput as error:
                messages.error(request, error.message)
            else:
                passed = sum(result.validation.passed for result in results)
                messages.success(
                    request, f"Validated {len(results)} scenes: {passed} passed, {len(results) - passed} need a look."
                )
                return redirect("continuity:project", project_id=project_id)
        status = 400
    headings = screenplay_scene_headings(user_id=request.user.id, project_id=project_id)
    rows = [
        (scene, forms.get(scene.state.id) if scene.state else None, prompt_heading(scene.draft.prompt_text, headings))
        for scene in scenes
    ]
    context = {
        "project_id": project_id,
        "title": _project_title(request.user.id, project_id),
        "rows": rows,
        "unstarted": [scene.draft.id for scene in scenes if scene.state is None],
    }
    return render(request, "continuity/project.html", context, status=status)


@login_required
@require_POST
def project_start(request: HttpRequest, project_id: str) -> HttpResponse:
    """Start scene states from the project's scene drafts named in the form (`draft`), or from all without one."""
    scenes = _project_scenes(request.user.id, project_id)
    wanted = set(request.POST.getlist("draft"))
    draft_ids = [
        scene.draft.id for scene in scenes if scene.state is None and (not wanted or str(scene.draft.id) in wanted)
    ]
    started = scene_states_start_from_drafts(user_id=request.user.id, scene_draft_ids=draft_ids)
    messages.success(request, f"Started {len(started)} scene state{'s' if len(started) != 1 else ''} from the drafts.")
    return redirect("continuity:project", project_id=project_id)


@dataclass(frozen=True)
class RecentValidation:
    """A validation as the dashboard lists it: the log, its issues, and the scene it is about, when on a timeline."""

    log: ContinuityLog
    issues: list[Issue]
    project_id: str | None = None
    project_title: str = ""
    draft_id: uuid.UUID | None = None
    heading: str | None = None


def _recent_validations(user_id: uuid.UUID) -> list[RecentValidation]:
    """The latest validations, each named by its project and scene when a timeline's draft is linked to it."""
    logs = list(selectors.recent_log_list(user_id=user_id)[:RECENT_ROWS])
    drafts = selectors.scene_state_drafts(user_id=user_id, scene_ids={log.scene_id for log in logs})
    titles = screenplay_titles(user_id=user_id, ids={draft.project_id for draft in drafts.values()})
    recent = []
    for log in logs:
        draft = drafts.get(log.scene_id)
        place = {}
        if draft is not None:
            place = {
                "project_id": draft.project_id,
                "project_title": titles.get(draft.project_id, draft.project_id),
                "draft_id": draft.id,
                "heading": prompt_heading(draft.prompt_text),
            }
        recent.append(RecentValidation(log=log, issues=issues_from_json(log.issues), **place))
    return recent


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The writer's continuity analytics: confidence and results per day, recent validations, telemetry."""
    days = int(request.GET["days"]) if request.GET.get("days") in {str(period) for period in PERIODS} else PERIODS[1]
    end = timezone.now().astimezone(UTC).date()  # validation_date is the UTC day
    start = end - timedelta(days=days - 1)
    user_id = request.user.id
    daily = selectors.daily_analytics_list(user_id=user_id).filter(
        validation_date__gte=datetime.combine(start, time(), UTC)
    )
    period = charts.period_days(list(daily), start=start, end=end)
    rates = [
        charts.Rate(row.element, row.rate, row.performance_category, row.attempts)
        for row in selectors.telemetry_performance_list(user_id=user_id)
    ]
    recent = _recent_validations(user_id)
    measured = [day for day in period if day.total]
    total = sum(day.total for day in measured)
    context = {
        "days": days,
        "periods": PERIODS,
        "period": period,
        "measured": measured,
        "total": total,
        "passed": sum(day.passed for day in measured),
        "average": sum(day.average * day.total for day in measured) / total if total else None,
        "confidence_chart": charts.confidence_chart(period),
        "passed_chart": charts.passed_failed_chart(period),
        "telemetry_chart": charts.telemetry_chart(rates),
        "rates": rates,
        "categories": {
            category: sum(rate.category == category for rate in rates) for category in PERFORMANCE_CATEGORIES
        },
        "recent": recent,
        "projects": _projects(user_id),
    }
    return render(request, "continuity/dashboard.html", context)
