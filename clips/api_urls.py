from rest_framework.routers import SimpleRouter

from clips.api import (
    ClipJobViewSet,
    FilmExportViewSet,
    ProjectOverviewViewSet,
    ProjectStateViewSet,
    SceneDraftViewSet,
    VideoUploadViewSet,
)

router = SimpleRouter()
# Clip jobs first: Django tries the patterns in order, and the status poll is the API's most frequent call.
router.register("clip_jobs", ClipJobViewSet, basename="clip-job")
router.register("scene_drafts", SceneDraftViewSet, basename="scene-draft")
router.register("video_uploads", VideoUploadViewSet, basename="video-upload")
router.register("project_overview", ProjectOverviewViewSet, basename="project-overview")
router.register("project_states", ProjectStateViewSet, basename="project-state")
router.register("film_exports", FilmExportViewSet, basename="film-export")

urlpatterns = router.urls
