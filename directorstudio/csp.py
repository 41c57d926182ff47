"""The Content-Security-Policy of every response, with a fresh nonce per request for the pages' inline scripts."""

import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse

from directorstudio.storage import store_origin

# Written among a directive's sources in CONTENT_SECURITY_POLICY; replaced by the request's nonce.
NONCE_SOURCE = "'nonce'"
# A JSON answer is no document and loads nothing: it gets the strictest policy, as OWASP advises for REST APIs.
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
# On S3 a poster or clip's signed URL redirects to the store, and the policy holds for the redirect too: these
# directives admit the store's origin.
STORE_DIRECTIVES = frozenset({"img-src", "media-src"})


def content_security_policy(nonce: str) -> str:
    """The policy of CONTENT_SECURITY_POLICY (directive: sources) as a header value, with `nonce` filled in.

    Where files are kept on S3, the store's origin is among the sources of images and media.
    """
    origin = store_origin(default_storage)
    directives = []
    for directive, sources in settings.CONTENT_SECURITY_POLICY.items():
        filled = [f"'nonce-{nonce}'" if source == NONCE_SOURCE else source for source in sources]
        if origin and directive in STORE_DIRECTIVES and origin not in filled:
            filled.append(origin)
        directives.append(" ".join([directive, *filled]))
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """Set `request.csp_nonce` and send the policy (report-only when CSP_REPORT_ONLY) unless a view set its own.

    An inline script runs only with `nonce="{{ csp_nonce }}"`: other scripts must come from the app's own files.
    A JSON answer gets JSON_POLICY instead: nothing may load from it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        if settings.CONTENT_SECURITY_POLICY and header not in response:
            if response.get("Content-Type", "").startswith("application/json"):
                response[header] = JSON_POLICY
            else:
                response[header] = content_security_policy(request.csp_nonce)
        return response


def csp_nonce(request: HttpRequest) -> dict[str, str]:
    """Template context: `csp_nonce`, the nonce an inline `<script>` must carry."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
