"""Request rate limits of the API, counted in the default cache (shared by every worker: CACHE_URL)."""

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class ClipSubmitThrottle(UserRateThrottle):
    """Clip submissions per signed-in user, CLIP_SUBMIT_RATE (e.g. "60/min"), all submit endpoints counted together."""

    scope = "clip_submit"

    def get_rate(self) -> str:
        return settings.CLIP_SUBMIT_RATE
