"""Reproduction images: a generated Dockerfile, a content-hash tag, and a build only when needed.

The tag is a hash of everything that goes into the image (Dockerfile text, requirements, the
copied source files, the wheel files, the base image id), so an unchanged recipe finds its image
and never rebuilds, and any change yields a new tag rather than a silently different image.
With a wheelhouse the build runs with no network at all (``pip install --no-index``), which is both
how air-gapped machines build and a check that the wheelhouse is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound

from core import atomic
from reproducers.errors import ReproductionError

#: Repository part of the reproduction image tags; the tag part is the content hash.
IMAGE_REPOSITORY = "audit/reproduce"
#: Label on every reproduction image (its value is the content hash).
IMAGE_LABEL = "audit.image"
TEMPLATE = Path(__file__).with_name("Dockerfile.in")
SKIPPED_PARTS = {"__pycache__", ".git", ".pytest_cache", ".ruff_cache", ".venv"}

LogCallback = Callable[[str], None]


@dataclass(frozen=True)
class ImageRecipe:
    """What an image holds: a base, pip requirements, and source folders copied under /opt/audit/src.

    ``sources`` pairs a destination below ``src/`` ("" for src itself) with a host folder.
    ``system_site_packages`` lets the venv see the base's packages (a CUDA base's own torch).
    """

    base: str
    requirements: tuple[str, ...] = ()
    sources: tuple[tuple[str, Path], ...] = ()
    wheelhouse: Path | None = None
    system_site_packages: bool = False

    def dockerfile(self) -> str:
        """The Dockerfile text for this recipe (saved next to the results as provenance)."""
        wheels_step = "COPY wheels/ /wheels/\n" if self.wheelhouse else ""
        if not self.requirements:
            install_step = ""
        elif self.wheelhouse:
            install_step = "RUN pip install --no-index --find-links /wheels -r /opt/audit/requirements.txt\n"
        else:
            install_step = "RUN pip install -r /opt/audit/requirements.txt\n"
        return Template(TEMPLATE.read_text()).substitute(
            base=self.base,
            venv_flags="--system-site-packages " if self.system_site_packages else "",
            wheels_step=wheels_step,
            install_step=install_step,
        )

    def requirements_text(self) -> str:
        return "".join(f"{line}\n" for line in self.requirements)


@dataclass(frozen=True)
class BuiltImage:
    """An image ready to run, and the provenance environment.json records for it."""

    tag: str
    id: str
    built: bool
    content_hash: str
    dockerfile_sha256: str
    base: str
    base_id: str
    base_digests: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    build_seconds: float = 0.0

    def describe(self) -> dict[str, Any]:
        """The image part of environment.json."""
        return {
            "image": self.tag,
            "image_id": self.id,
            "image_digest": self.repo_digests[0] if self.repo_digests else None,
            "image_built_now": self.built,
            "image_build_seconds": self.build_seconds,
            "image_content_hash": self.content_hash,
            "dockerfile_sha256": self.dockerfile_sha256,
            "base_image": self.base,
            "base_image_id": self.base_id,
            "base_image_digest": self.base_digests[0] if self.base_digests else None,
        }


def base_image(client: docker.DockerClient, name: str) -> docker.models.images.Image:
    """The base image, pulled if it is not local; one clear line when neither works."""
    try:
        return client.images.get(name)
    except ImageNotFound:
        pass
    except DockerException as exc:
        raise ReproductionError(f"cannot inspect base image {name!r}: {_one_line(exc)}") from None
    try:
        return client.images.pull(name)
    except DockerException as exc:
        raise ReproductionError(
            f"base image {name!r} is not on this engine and cannot be pulled ({_one_line(exc)}); "
            "build an offline one with `make docker-base` and pass --base-image audit/base:offline"
        ) from None


def ensure_image(
    client: docker.DockerClient,
    recipe: ImageRecipe,
    *,
    save_dockerfile: Path | None = None,
    on_log: LogCallback | None = None,
) -> BuiltImage:
    """Return the recipe's image, building it only if no image carries its content-hash tag."""
    base = base_image(client, recipe.base)
    dockerfile = recipe.dockerfile()
    files = list(_source_files(recipe.sources))
    wheels = sorted(recipe.wheelhouse.glob("*.whl")) if recipe.wheelhouse else []
    if recipe.wheelhouse and not wheels:
        raise ReproductionError(f"wheelhouse {recipe.wheelhouse} holds no wheels (see `make wheelhouse`)")
    digest = content_hash(dockerfile, recipe.requirements_text(), base.id, files, wheels)
    tag = f"{IMAGE_REPOSITORY}:{digest[:24]}"
    if save_dockerfile is not None:
        save_dockerfile.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(save_dockerfile, dockerfile, newline_at_end=False)
    dockerfile_sha = hashlib.sha256(dockerfile.encode()).hexdigest()
    built, seconds = False, 0.0
    try:
        image = client.images.get(tag)
    except ImageNotFound:
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="audit-build-") as tmp:
            context = Path(tmp)
            _write_context(context, dockerfile, recipe, files, wheels)
            _build(client, context, tag, digest, offline=recipe.wheelhouse is not None, on_log=on_log)
        image = client.images.get(tag)
        built, seconds = True, time.monotonic() - start
    return BuiltImage(
        tag=tag,
        id=image.id,
        built=built,
        content_hash=digest,
        dockerfile_sha256=dockerfile_sha,
        base=recipe.base,
        base_id=base.id,
        base_digests=tuple(base.attrs.get("RepoDigests") or ()),
        repo_digests=tuple(image.attrs.get("RepoDigests") or ()),
        build_seconds=round(seconds, 1),
    )


def content_hash(
    dockerfile: str,
    requirements: str,
    base_id: str,
    files: Iterable[tuple[str, Path]],
    wheels: Iterable[Path],
) -> str:
    """SHA-256 over the Dockerfile, requirements, base id, and every copied file and wheel."""
    body = {
        "dockerfile": dockerfile,
        "requirements": requirements,
        "base_id": base_id,
        "files": [[name, _file_sha256(path)] for name, path in files],
        "wheels": [[path.name, _file_sha256(path)] for path in wheels],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _source_files(sources: Iterable[tuple[str, Path]]) -> Iterable[tuple[str, Path]]:
    """(path below src/, host path) of every file and link to copy, sorted, caches and VCS folders
    left out. Nothing is followed: a link is copied as a link (an exported checkout keeps only links
    that stay inside it), and anything that is neither a regular file nor a link is left out."""
    for dest, root in sources:
        if not root.is_dir():
            raise ReproductionError(f"source folder {root} does not exist")
        found: list[Path] = []
        for folder, dirs, files in os.walk(root, followlinks=False):
            base = Path(folder)
            dirs[:] = [name for name in dirs if name not in SKIPPED_PARTS]
            for name in files + [name for name in dirs if (base / name).is_symlink()]:
                path = base / name
                if name in SKIPPED_PARTS:
                    continue
                mode = path.lstat().st_mode
                if path.suffix != ".pyc" and (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                    found.append(path)
        for path in sorted(found):
            relative = path.relative_to(root)
            yield (str(Path(dest) / relative) if dest else str(relative)), path


def _write_context(
    context: Path,
    dockerfile: str,
    recipe: ImageRecipe,
    files: list[tuple[str, Path]],
    wheels: list[Path],
) -> None:
    (context / "Dockerfile").write_text(dockerfile)
    (context / "requirements.txt").write_text(recipe.requirements_text())
    (context / "src").mkdir()
    for name, path in files:
        target = context / "src" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target, follow_symlinks=False)
    if wheels:
        (context / "wheels").mkdir()
        for wheel in wheels:
            _link_or_copy(wheel, context / "wheels" / wheel.name)


def _build(
    client: docker.DockerClient,
    context: Path,
    tag: str,
    digest: str,
    *,
    offline: bool,
    on_log: LogCallback | None,
) -> None:
    """Build with the engine's classic builder, streaming its output; one line on failure."""
    tail: list[str] = []
    try:
        stream = client.api.build(
            path=str(context),
            tag=tag,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            labels={IMAGE_LABEL: digest},
            network_mode="none" if offline else None,
        )
        for chunk in stream:
            if "error" in chunk:
                raise ReproductionError(
                    f"image build failed: {_one_line(chunk['error'])} (last output: {' | '.join(tail[-3:])})"
                )
            text = chunk.get("stream", "").rstrip()
            if text:
                tail.append(text)
                if on_log is not None:
                    on_log(text)
    except (APIError, DockerException) as exc:
        raise ReproductionError(f"image build failed: {_one_line(exc)}") from None


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link a wheel into the build context (torch is hundreds of MB), copying across devices."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _file_sha256(path: Path) -> str:
    """A file's SHA-256; a link's is that of ``symlink:<target>`` (links are copied, never followed)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return hashlib.sha256(b"symlink:" + os.fsencode(os.readlink(path))).hexdigest()
    return _cached_sha256(str(path), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=4096)
def _cached_sha256(path: str, _size: int, _mtime_ns: int) -> str:
    """Hash each file once per process: a torch wheel is hashed once, not once per build check."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _one_line(exc: BaseException | str) -> str:
    """The engine's own explanation when there is one (not the SDK's URL and status), on one line."""
    text = getattr(exc, "explanation", None) or str(exc)
    return " ".join(str(text).split())
