from rest_framework.routers import SimpleRouter

from continuity import api

router = SimpleRouter()
router.register("continuity", api.ContinuityViewSet, basename="continuity")
router.register("continuity_scene_states", api.SceneStateViewSet, basename="continuity-scene-state")
router.register("continuity_logs", api.ContinuityLogViewSet, basename="continuity-log")
router.register("continuity_telemetry", api.TelemetryViewSet, basename="continuity-telemetry")
router.register("continuity_daily_analytics", api.DailyAnalyticsViewSet, basename="continuity-daily-analytics")
router.register("continuity_recent_validations", api.RecentValidationViewSet, basename="continuity-recent-validation")
router.register(
    "continuity_telemetry_performance", api.TelemetryPerformanceViewSet, basename="continuity-telemetry-performance"
)

urlpatterns = router.urls
