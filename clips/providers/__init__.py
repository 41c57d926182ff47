"""Video providers that turn a clip job's prompt into an MP4 and a poster (see `base.py`).

`get_provider()` picks one with the `CLIP_PROVIDER` setting: `local` (the default) renders the
prompt as a title-card video on this machine; `pollo` asks Pollo AI's platform API.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import ClipGenerationFailed, ClipProvider, GeneratedClip, ServiceUnavailable

__all__ = ["ClipGenerationFailed", "ClipProvider", "GeneratedClip", "ServiceUnavailable", "get_provider"]

PROVIDERS = ("local", "pollo")


def get_provider() -> ClipProvider:
    """The provider the `CLIP_PROVIDER` setting names, configured from the settings."""
    name = str(getattr(settings, "CLIP_PROVIDER", "local") or "local").strip().lower()
    if name == "local":
        from .local import LocalClipProvider

        return LocalClipProvider()
    if name == "pollo":
        from .pollo import PolloClipProvider

        return PolloClipProvider.from_settings()
    raise ImproperlyConfigured(f"CLIP_PROVIDER must be one of {', '.join(PROVIDERS)}, not {name!r}.")
