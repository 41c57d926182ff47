from rest_framework.routers import SimpleRouter

from screenplays.api import ScreenplaySectionViewSet, ScreenplayViewSet

router = SimpleRouter()
router.register("screenplays", ScreenplayViewSet, basename="screenplay")
router.register("screenplay_sections", ScreenplaySectionViewSet, basename="screenplay-section")

urlpatterns = router.urls
