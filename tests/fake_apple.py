"""A local stand-in for Sign in with Apple: a JWKS server on 127.0.0.1 and id tokens signed with generated keys."""

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APPLE_ISSUER = "https://appleid.apple.com"


class AppleKey:
    """An RSA key as Apple publishes one: a `kid` and the public half as a JWK."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwk(self) -> dict:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}


def apple_id_token(key: AppleKey, *, audience: str, sub: str, nonce: str | None = None, **overrides) -> str:
    """An id token as Apple issues it to the app (the `nonce` claim is the SHA-256 of the app's raw nonce)."""
    now = int(time.time())
    claims = {
        "iss": APPLE_ISSUER,
        "aud": audience,
        "sub": sub,
        "iat": now,
        "exp": now + 600,
        "email": f"{sub.split('.')[0]}@privaterelay.appleid.com",
        "email_verified": "true",
        "is_private_email": "true",
        "auth_time": now,
        "nonce_supported": True,
    }
    if nonce is not None:
        claims["nonce"] = hashlib.sha256(nonce.encode()).hexdigest()
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


class _JWKSHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests += 1
        body = json.dumps({"keys": [key.public_jwk() for key in self.server.keys]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@contextmanager
def apple_jwks_server(keys: list[AppleKey]) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """Serve the keys' JWKS on 127.0.0.1; yields its URL (a path of its own, so no cached key set is reused)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JWKSHandler)
    server.keys = keys
    server.requests = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/{uuid.uuid4()}/auth/keys", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
