"""An S3 server on 127.0.0.1 for the store's tests: moto's standalone server, a separate process that
speaks the S3 HTTP API, reached by the real client (s3fs through fsspec) as a bucket would be.

Object storage is out of reach here, as OpenReview is; the server stands in for it the way the tests'
fake OpenReview server does, and the code under test is unchanged: the endpoint and the credentials come
from the standard AWS variables, exactly as a user sets them for a real bucket.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class S3Server:
    endpoint: str
    #: the variables a process (this one, a Dask worker) needs to reach the bucket
    env: dict[str, str]

    def filesystem(self) -> Any:  # an s3fs.S3FileSystem
        import fsspec

        return fsspec.filesystem(
            "s3", endpoint_url=self.endpoint, key="test", secret="test", skip_instance_cache=True
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def running_s3(folder: Path, buckets: tuple[str, ...] = ("audit",)) -> Iterator[S3Server]:
    """Start the server, create ``buckets``, yield it; stop it afterwards."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "s3.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"S3 server did not start: {(folder / 's3.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.2)
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }
    server = S3Server(endpoint, env)
    fs = server.filesystem()
    for bucket in buckets:
        fs.mkdir(bucket)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
