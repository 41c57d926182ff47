from rest_framework.authentication import BaseAuthentication


class SupabaseJWTAuthentication(BaseAuthentication):
    """Placeholder until the API issue: authenticates nobody."""

    def authenticate(self, request):
        return None
