"""No secret in any log: each secret is sent through every logger (Django's, the worker's, a real gunicorn's error
and access logs) and the output is read. One line per request, gunicorn's and the dev server's alike."""

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests

from clips import downloads
from clips.downloads import clip_download_url
from tests.gunicorn_server import PRODUCTION_GUNICORN, app_environment, wait_until_serving
from tests.seaweedfs import free_ports
from tests.tokens import make_supabase_token

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
    env = app_environment(
        base_url=f"http://127.0.0.1:{port}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="clips",
        AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{closed_port}",
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY=secret_values["password"],
        AWS_S3_MAX_ATTEMPTS="1",
    )
    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{port}"
    signed = clip_download_url(clip_job_id=uuid.uuid4(), user_id=uuid.uuid4())
    query = f"refresh_token={secret_values['refresh']}&apikey={secret_values['anon_key']}"
    query += f"&password={secret_values['password']}"
    server = subprocess.Popen(
        PRODUCTION_GUNICORN, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}")
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


# --- one line per request --------------------------------------------------------------------------------------------

# A clip larger than a loopback connection's buffers hold, so a client that hangs up stops the download midway.
LARGE_CLIP_BYTES = 32 * 1024 * 1024


def server_command(server: str, port: int) -> tuple[list[str], dict[str, str]]:
    """How production (gunicorn with gunicorn.conf.py) and development (bin/run's runserver) start, and their DEBUG."""
    if server == "gunicorn":
        return list(PRODUCTION_GUNICORN), {"DEBUG": "0", "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"], {
        "DEBUG": "1"
    }


def hang_up_midway(port: int, target: str, request_id: str) -> None:
    """GET `target`, read the first bytes of the answer, and close the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: {request_id}\r\n\r\n".encode())
        received = b""
        while len(received) < 128 * 1024:
            received += raw.recv(65536)
        assert received.startswith(b"HTTP/1.1 200")


def lines_naming(output: str, marker: str) -> list[str]:
    return [line for line in output.splitlines() if marker in line]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server", ["gunicorn", "runserver"])
def test_each_request_is_one_line_with_client_status_bytes_duration_and_no_secret(
    server, alice, settings, tmp_path, secret_values
):
    """A real server as production and bin/run start it: N requests make N lines, each with its request id and the
    marker of its query in it and no other line naming them; the bytes are those sent, a download cut short too."""
    (port,) = free_ports(1)
    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{port}"
    clip_id, base = uuid.uuid4(), f"http://127.0.0.1:{port}"
    clip = tmp_path / "media" / downloads.clip_file_name(clip_job_id=clip_id, kind=downloads.VIDEO)
    clip.parent.mkdir(parents=True)
    clip.write_bytes(os.urandom(1024) * (LARGE_CLIP_BYTES // 1024))
    signed = clip_download_url(clip_job_id=clip_id, user_id=alice.pk)
    bearer = make_supabase_token(alice.pk)
    command, environment = server_command(server, port)
    env = app_environment(
        base_url=base, **environment, PYTHONUNBUFFERED="1", STORAGE_BACKEND="local", MEDIA_ROOT=str(tmp_path / "media")
    )
    env.pop("GUNICORN_ACCESS_LOG", None)
    ids = [f"req-{server}-{index}-{secrets.token_hex(4)}" for index in range(6)]
    query = [f"n={request_id}&access_token={bearer}" for request_id in ids]
    headers = [{"X-Request-ID": request_id} for request_id in ids]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(process, base)
            start = log.tell()
            answers = [
                requests.get(f"{base}/healthz?{query[0]}", headers=headers[0], timeout=10),
                requests.get(f"{signed}?{query[1]}", headers={**headers[1], "Range": "bytes=0-99"}, timeout=10),
                requests.head(f"{signed}?{query[2]}", headers=headers[2], timeout=10),
                requests.get(
                    f"{base}/api/v1/clip_jobs/?{query[3]}",
                    headers={**headers[3], "Authorization": f"Bearer {bearer}"},
                    timeout=10,
                ),
                requests.get(f"{base}/api/v1/nothing-here/?{query[4]}", headers=headers[4], timeout=10),
            ]
            hang_up_midway(port, f"{signed.removeprefix(base)}?{query[5]}", ids[5])
            output = wait_for_lines(log, start, ids)
        finally:
            process.terminate()
            process.wait(timeout=30)

    assert [answer.status_code for answer in answers] == [200, 206, 200, 200, 404]
    assert_no_secret(output, secret_values | {"token": bearer}, signature_of(signed))
    logged = []
    for request_id in ids:
        [line] = lines_naming(output, request_id)  # the JSON line only: no access line of gunicorn's or runserver's
        logged.append(json.loads(line))
    assert [(line["method"], line["path"].split("/")[1], line["status"]) for line in logged] == [
        ("GET", "healthz", 200),
        ("GET", "media", 206),
        ("HEAD", "media", 200),
        ("GET", "api", 200),
        ("GET", "api", 404),
        ("GET", "media", 200),
    ]
    assert [line["bytes"] for line in logged[:5]] == [len(answer.content) for answer in answers]
    assert logged[1]["bytes"] == 100
    assert 0 < logged[5]["bytes"] < LARGE_CLIP_BYTES  # the bytes sent before the client hung up, not the file's size
    assert [line["user_id"] for line in logged] == [None, None, None, str(alice.pk), None, None]
    for request_id, line in zip(ids, logged, strict=True):
        assert line["client"] == "127.0.0.1" and isinstance(line["duration_ms"], float)
        assert line["request_id"] == request_id and line["query"] == f"n={request_id}&access_token=redacted"


def wait_for_lines(log, start: int, request_ids: list[str]) -> str:
    """The server's output since `start`, once each request id is in it (a cut-short download's line comes last)."""
    deadline = time.monotonic() + 20
    while True:
        log.seek(start)
        output = log.read().decode()
        if all(request_id in output for request_id in request_ids) or time.monotonic() > deadline:
            return output
        time.sleep(0.1)
