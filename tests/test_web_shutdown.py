"""A web host sent SIGTERM (a deploy, a scale-in) answers no new request and finishes the requests in flight."""

import hashlib
import os
import signal
import subprocess
import tempfile
import time
import uuid

import httpx
import pytest

from clips import downloads
from clips.downloads import clip_download_url
from tests.gunicorn_server import BASE_DIR, PRODUCTION_GUNICORN, app_environment, free_port, wait_until_serving

pytestmark = pytest.mark.django_db(transaction=True)

# Larger than a loopback connection's buffers hold: the worker is still sending it when the signal comes.
CLIP_BYTES = 24 * 1024 * 1024


def test_a_web_host_sent_sigterm_finishes_the_download_in_flight_and_answers_no_new_request(alice, settings, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clip_id = uuid.uuid4()
    clip = tmp_path / "media" / downloads.clip_file_name(clip_job_id=clip_id, kind=downloads.VIDEO)
    clip.parent.mkdir(parents=True)
    clip.write_bytes(os.urandom(1024 * 1024) * (CLIP_BYTES // (1024 * 1024)))
    settings.PUBLIC_BASE_URL = base
    signed = clip_download_url(clip_job_id=clip_id, user_id=alice.pk)
    env = app_environment(
        base_url=base,
        STORAGE_BACKEND="local",
        MEDIA_ROOT=str(tmp_path / "media"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    with tempfile.TemporaryFile() as log:
        # Production's own configuration, as a web host runs it.
        server = subprocess.Popen(PRODUCTION_GUNICORN, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(server, base)
            digest, received = hashlib.sha256(), 0
            with httpx.stream("GET", signed, timeout=30) as download:
                chunks = download.iter_bytes(256 * 1024)
                for chunk in chunks:
                    digest.update(chunk)
                    received += len(chunk)
                    if received >= 1024 * 1024:
                        break
                server.send_signal(signal.SIGTERM)
                time.sleep(1)  # the master has closed its socket and told the worker to stop
                # Refused, or left in the kernel's queue of the socket the busy worker still holds until it exits.
                with pytest.raises(httpx.TransportError):
                    httpx.get(f"{base}/healthz", timeout=2)
                for chunk in chunks:
                    digest.update(chunk)
                    received += len(chunk)
                    time.sleep(0.01)  # a client slower than the worker
                status = download.status_code
            exit_code = server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

    assert status == 200
    assert received == CLIP_BYTES
    assert digest.hexdigest() == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert exit_code == 0
