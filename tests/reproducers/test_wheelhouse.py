"""The host fills a wheelhouse with binary wheels only: no sdist of an upstream list is built here.

Real pip, against a find-links folder the test builds (an index that refuses at once stands in for
the network, so nothing outside is asked): a malicious sdist whose setup.py writes a canary, and an
honest hand-made wheel. The control test shows that the canary is real: building that sdist (what
``pip wheel`` did before) writes it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reproducers.docker.wheelhouse import fill
from reproducers.errors import ReproductionError
from tests.reproducers.hostile import SDIST_NAME, WHEEL_NAME, honest_wheel, isolated_pip, malicious_sdist


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    links = tmp_path / "find-links"
    canary = tmp_path / "canaries" / "sdist-built-on-host"
    malicious_sdist(links, canary)
    malicious_sdist(links, canary, name=WHEEL_NAME, version="2.0")  # newer, but only as an sdist
    wheel = honest_wheel(links)
    isolated_pip(monkeypatch, links)
    return {"links": links, "canary": canary, "wheel": wheel}


def test_an_sdist_is_never_built_on_the_host(index: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "wheelhouse"
    with pytest.raises(ReproductionError) as caught:
        fill(dest, [f"{SDIST_NAME}==1.0"])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"could not fill wheelhouse {dest}: ERROR: ")
    assert SDIST_NAME in message
    assert message.endswith(
        "(only binary wheels are taken on the host: an sdist would run its setup code here; "
        "put a wheel built in a container there)"
    )
    assert not index["canary"].exists()
    assert sorted(path.name for path in dest.iterdir()) == [".gitignore"]  # nothing downloaded either


def test_a_wheel_is_taken_and_a_newer_sdist_of_it_ignored(index: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "wheelhouse"
    wheels = fill(dest, [WHEEL_NAME])  # unpinned: pip would pick the sdist 2.0 if sdists counted
    assert [wheel.name for wheel in wheels] == [index["wheel"].name]
    assert (dest / index["wheel"].name).read_bytes() == index["wheel"].read_bytes()
    assert not index["canary"].exists()
    assert [wheel.name for wheel in fill(dest, [f"{WHEEL_NAME}==1.0"])] == [index["wheel"].name]  # offline


def test_urls_and_pip_options_never_reach_pip(index: dict[str, Path], tmp_path: Path) -> None:
    sdist = index["links"] / f"{SDIST_NAME.replace('-', '_')}-1.0.tar.gz"
    with pytest.raises(ReproductionError, match=r"^direct URL requirement .* refused"):
        fill(tmp_path / "w", [f"{SDIST_NAME} @ file://{sdist}"])
    for line in ("-e .", "--index-url=http://example.org", "."):
        with pytest.raises(ReproductionError, match=r"^not a requirement pip may download here"):
            fill(tmp_path / "w", [line])
    assert not index["canary"].exists()
    assert not (tmp_path / "w").exists()  # refused before anything was made


def test_control_building_the_sdist_does_write_the_canary(index: dict[str, Path], tmp_path: Path) -> None:
    """What the host did before (``pip wheel``): proves the canary above could have appeared."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-index", "--no-build-isolation", "--no-deps",
         "--find-links", str(index["links"]), "--wheel-dir", str(tmp_path / "built"), f"{SDIST_NAME}==1.0"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert index["canary"].exists(), result.stderr[-2000:]
    assert set(index["canary"].read_text().splitlines()) == {"setup.py of the sdist ran"}  # once per hook
