from django_filters import rest_framework as filters

from clips.models import ClipJob, ClipJobStatus, ProjectOverview, SceneDraft, VideoUpload
from clips.serializers import PROJECT_ID_MAX
from directorstudio.filters import RowFilterSet


class SceneDraftFilter(RowFilterSet):
    """Scene drafts of one project, and by when they were created or last changed."""

    project_id = filters.CharFilter(max_length=PROJECT_ID_MAX)

    class Meta:
        model = SceneDraft
        fields = {"created_at": ["gte", "lte"], "updated_at": ["gte", "lte"]}


class ClipJobFilter(RowFilterSet):
    """Clip jobs by status and by when they were submitted."""

    status = filters.ChoiceFilter(choices=ClipJobStatus.choices)

    class Meta:
        model = ClipJob
        fields = {"submitted_at": ["gte", "lte"]}


class VideoUploadFilter(RowFilterSet):
    """Video uploads of one project."""

    project_id = filters.CharFilter(max_length=PROJECT_ID_MAX)

    class Meta:
        model = VideoUpload
        fields = {"uploaded_at": ["gte", "lte"]}


class ProjectOverviewFilter(RowFilterSet):
    """The overview of one project."""

    project_id = filters.CharFilter(max_length=PROJECT_ID_MAX)

    class Meta:
        model = ProjectOverview
        fields: list[str] = []
