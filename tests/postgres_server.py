"""A throwaway PostgreSQL cluster for tests: started from the machine's server binaries
(initdb, pg_ctl) on a free loopback port, removed afterwards.

Not under pytest's tmp dir: that one is private to root, and the server runs as the system's
postgres account when the tests run as root (initdb and postgres refuse to run as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

INITDB = shutil.which("initdb")
AS_ROOT = os.geteuid() == 0


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if AS_ROOT else list(command)


@contextmanager
def postgres_server(prefix: str) -> Iterator[str]:
    """Yield a SQLAlchemy URL (psycopg) of a fresh cluster; stop and delete it afterwards."""
    if INITDB is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed here")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if AS_ROOT:
        shutil.chown(root, "postgres")
    data = root / "data"
    subprocess.run(_as_postgres(INITDB, "-D", str(data), "-U", "crossbook", "--auth=trust"),
                   check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pg_ctl = str(Path(INITDB).resolve().parent / "pg_ctl")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    subprocess.run(_as_postgres(pg_ctl, "-D", str(data), "-o", options, "-w", "start",
                                "-l", str(root / "log")), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://crossbook@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop"),
                       check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
