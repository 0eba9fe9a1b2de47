"""Shared pieces of the Docker tests: skip reasons, the offline base, a stand-in worker, cached images.

The real worker (``python -m reproducers.worker``) trains networks; the sandbox, failure and cleanup
tests only need a process that follows the worker's command-line contract, so they run this stand-in
(``python -c STAND_IN_WORKER``) in a light image without torch. Its behaviour is keyed by seed:
seed 1 exits 1, seed 3 allocates past a small memory limit, seeds >= 9 wait for a ``release`` file
in their output folder (up to 120 s); every other seed reports what it sees from inside, with the
provenance facts the real worker reports (``reproducers.provenance``, here without torch).

``HOSTILE_WORKER`` follows the same contract but leaves its output folder as hostile code would (see
test_docker_runner's hostile test): links to a host file, a FIFO, an oversized result, junk.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from reproducers.docker.engine import connect, engine_reachable
from reproducers.docker.image import BuiltImage, ImageRecipe, ensure_image
from reproducers.docker.requirements import runtime_requirements
from reproducers.docker.wheelhouse import default_dest, fill

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The base every test image builds on: ``make docker-base`` makes it from Debian packages alone.
BASE_IMAGE = os.environ.get("AUDIT_BASE_IMAGE", "audit/base:offline")

ENGINE_OK, ENGINE_REASON = engine_reachable()
#: Set by .ci/run: there a missing engine or base image fails the Docker tests instead of skipping them,
#: so that the sandbox tests cannot pass in CI by not running.
REQUIRED = os.environ.get("AUDIT_REQUIRE_DOCKER") == "1"
requires_docker = pytest.mark.skipif(
    not ENGINE_OK and not REQUIRED, reason=f"Docker tests skipped: {ENGINE_REASON}"
)

STAND_IN_WORKER = r"""
import argparse, json, os, sys, time
parser = argparse.ArgumentParser()
for name in ("--paper", "--protocol", "--seed", "--device", "--cache", "--data", "--out"):
    parser.add_argument(name, required=True)
args = parser.parse_args()
seed = int(args.seed)
print(f"stand-in seed {seed} starts", flush=True)
if seed == 1:
    print("stand-in: seed 1 fails on purpose", file=sys.stderr, flush=True)
    sys.exit(1)
print(f"[1/2] seed {seed}: halfway", file=sys.stderr, flush=True)
if seed == 3:
    hog = [bytearray(32 * 1024 * 1024) for _ in range(64)]
if seed >= 9:
    release = os.path.join(os.path.dirname(args.out), "release")
    deadline = time.time() + 120
    while not os.path.exists(release) and time.time() < deadline:
        time.sleep(0.2)

def writable(folder):
    try:
        with open(os.path.join(folder, f"probe-{seed}"), "w") as handle:
            handle.write("x")
        return True
    except OSError:
        return False

facts = {
    "paper": args.paper, "protocol": args.protocol, "seed": seed, "device": args.device,
    "uid": os.getuid(), "gid": os.getgid(), "interfaces": sorted(os.listdir("/sys/class/net")),
    "stdin": sys.stdin.read(), "root_writable": writable("/"), "tmp_writable": writable("/tmp"),
    "cache_writable": writable(args.cache), "states_writable": writable(os.path.join(args.cache, "states")),
    "data_writable": writable(args.data),
    "runs": [{"seed": seed, "arm": "dense", "test_accuracy": 90.0 + seed}], "per_class": [],
}
from reproducers import provenance
facts["environment"] = provenance.describe(args.device)
with open(args.out, "w") as handle:
    json.dump(facts, handle)
print(f"stand-in seed {seed} done", flush=True)
"""
STAND_IN_COMMAND = ("python", "-c", STAND_IN_WORKER)

#: A worker whose seed K leaves /out as hostile code would; ``{host_file}`` is a path on the host.
HOSTILE_WORKER = r"""
import argparse, json, os
parser = argparse.ArgumentParser()
for name in ("--paper", "--protocol", "--seed", "--device", "--cache", "--data", "--out"):
    parser.add_argument(name, required=True)
args = parser.parse_args()
seed, out = int(args.seed), args.out
good = {{"seed": seed, "runs": [{{"seed": seed, "arm": "dense", "test_accuracy": 90.0}}], "per_class": []}}
if seed == 0:
    json.dump(good, open(out, "w"))
elif seed == 1:   # result.json is a link to a host file: the host must neither read nor write it
    os.symlink({host_file!r}, out)
elif seed == 2:   # a FIFO: a host that opened it for reading would hang
    os.mkfifo(out)
elif seed == 3:   # bigger than the cap (sparse: costs no disk)
    with open(out, "wb") as handle:
        handle.truncate(5 * 1024 * 1024)
elif seed == 4:   # a fine result, but a link to the host file left next to it
    json.dump(good, open(out, "w"))
    os.symlink({host_file!r}, os.path.join(os.path.dirname(out), "container.log"))
elif seed == 5:   # a result that is not the worker's contract
    json.dump({{"runs": "all of them"}}, open(out, "w"))
elif seed == 6:   # another seed's result
    json.dump(dict(good, seed=99), open(out, "w"))
elif seed == 7:   # not JSON at all
    open(out, "w").write("\x00" * 64)
"""


def require_base() -> str:
    """The base image name, or skip with how to make it."""
    give_up = pytest.fail if REQUIRED else pytest.skip
    if not ENGINE_OK:
        give_up(f"Docker tests skipped: {ENGINE_REASON}")
    client = connect()
    try:
        client.images.get(BASE_IMAGE)
    except Exception:
        give_up(f"base image {BASE_IMAGE} missing: run `make docker-base` (or set AUDIT_BASE_IMAGE)")
    finally:
        client.close()
    return BASE_IMAGE


@functools.cache
def wheelhouse() -> Path:
    """The wheelhouse with the runtime set (filled once per session; quick when already full)."""
    dest = default_dest()
    if not dest.is_absolute():
        dest = PROJECT_ROOT / dest
    fill(dest, runtime_requirements())
    return dest


@functools.cache
def light_image() -> BuiltImage:
    """The stand-in worker's image: the base plus the project's ``reproducers`` sources, no packages."""
    base = require_base()
    client = connect()
    package = PROJECT_ROOT / "reproducers"
    return ensure_image(client, ImageRecipe(base=base, sources=(("reproducers", package),)))
