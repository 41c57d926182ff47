from django.urls import path
from rest_framework.routers import SimpleRouter

from credits import api

router = SimpleRouter()
router.register("credits_ledger", api.CreditsLedgerViewSet, basename="credits-ledger")
router.register("user_statistics", api.UserStatisticsViewSet, basename="user-statistics")

urlpatterns = [
    *router.urls,
    path("app_store/notifications/", api.AppStoreNotificationApi.as_view(), name="app-store-notifications"),
]
