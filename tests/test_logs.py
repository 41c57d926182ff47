"""No secret in any log: each secret is sent through every logger (Django's, the worker's, a real gunicorn's error
and access logs) and the output is read."""

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests
from django.conf import settings as django_settings

from clips.downloads import clip_download_url
from tests.gunicorn_server import database_url
from tests.seaweedfs import free_ports

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def secret_values() -> dict[str, str]:
    """One of each secret: a bearer token, an anon key (both JWTs), a refresh token and a password."""
    key = secrets.token_hex(32)
    return {
        "bearer": jwt.encode({"sub": str(uuid.uuid4()), "role": "authenticated"}, key, algorithm="HS256"),
        "anon_key": jwt.encode({"role": "anon", "iss": "supabase"}, key, algorithm="HS256"),
        "refresh": secrets.token_urlsafe(24),
        "password": f"pw-{secrets.token_hex(8)}",
    }


def signature_of(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".mp4")


def assert_no_secret(output: str, secret_values: dict[str, str], signature: str) -> None:
    for name, value in [*secret_values.items(), ("clip signature", signature)]:
        assert value not in output, f"the {name} is in the log:\n{output}"


def test_every_logger_of_the_app_and_the_worker_redacts_each_secret(secret_values):
    """Django's loggers, the worker's (Procrastinate's, the clips') and the root, configured as a process starts."""
    signed = clip_download_url(clip_job_id=uuid.uuid4(), user_id=uuid.uuid4())
    query = f"access_token={secret_values['bearer']}&refresh_token={secret_values['refresh']}"
    query += f"&apikey={secret_values['anon_key']}&password={secret_values['password']}"
    lines = [
        f"Internal Server Error: {signed.split('8000', 1)[1]}",
        f"Not Found: /api/v1/{secret_values['bearer']}/",
        f"job failed: GET {signed}?{query}",
        f"Authorization: Bearer {secret_values['bearer']} apikey {secret_values['anon_key']}",
    ]
    script = (
        "import logging, sys, django; django.setup()\n"
        "names = ['django.request', 'django.server', 'procrastinate.worker', 'clips', 'directorstudio.requests', '']\n"
        "for line in sys.argv[1:]:\n"
        "    for name in names:\n"
        "        logging.getLogger(name).error(line)\n"
        "    try:\n"
        "        raise RuntimeError(line)\n"
        "    except RuntimeError:\n"
        "        logging.getLogger('procrastinate.worker').exception('Job failed: %s', line)\n"
    )
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "directorstudio.settings"}

    result = subprocess.run(
        [sys.executable, "-c", script, *lines], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert_no_secret(output, secret_values, signature_of(signed))
    assert output.count("Internal Server Error: /media/clips/") == 7  # django.server's line is dropped
    assert "/redacted.mp4?access_token=redacted&refresh_token=redacted&apikey=redacted&password=redacted" in output
    assert "RuntimeError: job failed: GET http://127.0.0.1:8000/media/clips/" in output


@pytest.mark.django_db
def test_a_real_gunicorn_logs_no_secret(secret_values, settings):
    """gunicorn with the production configuration, its store down: Django's 503 line names the signed path, the
    error log a request line it could not parse; neither holds a secret."""
    port, closed_port = free_ports(2)
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "directorstudio.settings",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": "clips",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{closed_port}",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": secret_values["password"],
        "AWS_S3_MAX_ATTEMPTS": "1",
    }
    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{port}"
    signed = clip_download_url(clip_job_id=uuid.uuid4(), user_id=uuid.uuid4())
    query = f"refresh_token={secret_values['refresh']}&apikey={secret_values['anon_key']}"
    query += f"&password={secret_values['password']}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "directorstudio.wsgi"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_serving(server, port)
        bearer = {"Authorization": f"Bearer {secret_values['bearer']}", "apikey": secret_values["anon_key"]}
        outage = requests.get(f"{signed}?{query}", headers=bearer, timeout=10)
        not_found = requests.get(f"http://127.0.0.1:{port}/api/v1/{secret_values['bearer']}/", timeout=10)
        refused = requests.get(f"http://127.0.0.1:{port}/api/v1/clip_jobs/?{query}", headers=bearer, timeout=10)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:  # a request line without a version
            raw.sendall(f"GET {signed.split(str(port), 1)[1]}?{query}\r\n\r\n".encode())
            unparsed = raw.recv(1024)
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)

    assert (outage.status_code, not_found.status_code, refused.status_code) == (503, 404, 401)
    assert unparsed.startswith(b"HTTP/1.1 400")
    output = stdout.decode() + stderr.decode()
    assert_no_secret(output, secret_values, signature_of(signed))
    assert "Service Unavailable: /media/clips/" in output and "Invalid request from ip=127.0.0.1" in output
    assert "Not Found: /api/v1/redacted/" in output


def wait_until_serving(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.head(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
