"""Naming facts: PEP 503 names, pipreqs' table, overrides, conda names, the standard library.

The questions "which distribution provides this import" and "which distributions are the same thing"
are answered by :mod:`.aliases`, which combines these tables with the wheels' own top-level names.

pipreqs ships an import→distribution table (its ``mapping`` file, read here through the same file that
``pipreqs.pipreqs.get_pkg_names`` reads). Some of its entries are wrong for research code
(``sklearn → scikit_learn`` is fine after PEP 503 but ``models → asposestorage``, ``src → auto_mix_prep``,
``google → protobuf`` are not) and some common ones are missing (``cv2``, ``skimage``, ``attr``, ``absl``).
:data:`IMPORT_OVERRIDES` is consulted first (by :mod:`.aliases`), by longest dotted prefix, so
``google.cloud.storage`` can map differently from ``google.protobuf``. ``None`` means "not a
distribution": drop it.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from packaging.utils import canonicalize_name
from pipreqs import pipreqs as _pipreqs

#: Import name (or dotted prefix) → distribution; ``None`` drops the import. Checked before pipreqs' table.
IMPORT_OVERRIDES: dict[str, str | None] = {
    # Folder names of the authors' own code that pipreqs maps to unrelated PyPI projects.
    "models": None,
    "model": None,
    "src": None,
    "utils": None,
    "util": None,
    "lib": None,
    "common": None,
    "config": None,
    "configs": None,
    "data": None,
    "dataset": None,
    "modules": None,
    "layers": None,
    "tools": None,
    "helpers": None,
    # google.* is a namespace shared by many distributions.
    "google": None,
    "google.protobuf": "protobuf",
    "google.colab": None,  # only exists inside Colab
    "google.auth": "google-auth",
    "google.oauth2": "google-auth",
    "google.api_core": "google-api-core",
    "google.genai": "google-genai",
    # Namespaced TensorFlow and JAX ecosystem projects.
    "tf": None,  # no TensorFlow distribution is imported as ``tf``; on PyPI and in ROS it is unrelated
    "sonnet": "dm-sonnet",
    # Frequent in ML code, missing or odd in pipreqs 0.5.0.
    "mpl_toolkits": "matplotlib",
    "ruamel": "ruamel-yaml",
}

#: Conda package names whose PyPI distribution is named differently.
CONDA_TO_PYPI: dict[str, str] = {
    "pytorch": "torch",
    "pytorch-gpu": "torch",
    "pytorch-cpu": "torch",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "tensorflow-gpu": "tensorflow-gpu",
    "pytorch-lightning": "pytorch-lightning",
    "pyg": "torch-geometric",
    "py-xgboost": "xgboost",
    "matplotlib-base": "matplotlib",
    "pillow-simd": "pillow-simd",
}

#: Declared names that are not Python distributions a census should count (interpreters, installers,
#: compilers, CUDA and system libraries that conda environments list).
NON_PACKAGES = frozenset(
    canonicalize_name(n)
    for n in (
        "python",
        "pip",
        "setuptools",
        "wheel",
        "conda",
        "cudatoolkit",
        "cudnn",
        "cuda",
        "cuda-toolkit",
        "nccl",
        "mkl",
        "mkl-service",
        "mkl_fft",
        "mkl_random",
        "intel-openmp",
        "blas",
        "openblas",
        "openssl",
        "ca-certificates",
        "zlib",
        "xz",
        "tk",
        "sqlite",
        "readline",
        "ncurses",
        "bzip2",
        "ld_impl_linux-64",
        "_libgcc_mutex",
        "_openmp_mutex",
        "gcc",
        "gxx",
        "cmake",
        "ninja",
        "jpeg",
        "libpng",
        "freetype",
        "ffmpeg",
        "cairo",
        "hdf5",
        "magma-cuda100",
        "nodejs",
        "tzdata",
    )
)

#: Python 2 standard-library modules: ICLR-era code still imports them and they are no packages.
PY2_STDLIB = frozenset(
    {
        "cPickle",
        "cStringIO",
        "StringIO",
        "urllib2",
        "urlparse",
        "httplib",
        "Queue",
        "ConfigParser",
        "commands",
        "HTMLParser",
        "Tkinter",
        "thread",
        "cookielib",
        "SocketServer",
        "SimpleHTTPServer",
        "BaseHTTPServer",
        "copy_reg",
        "exceptions",
        "md5",
        "sets",
        "imp",
        "htmlentitydefs",
        "anydbm",
        "dummy_threading",
        "future_builtins",
        "__builtin__",
        "xmlrpclib",
        "UserDict",
    }
)


@lru_cache(maxsize=1)
def pipreqs_table() -> dict[str, str]:
    """pipreqs' own import→distribution table, from the file ``get_pkg_names`` reads (last entry wins)."""
    table: dict[str, str] = {}
    with Path(_pipreqs.join("mapping")).open(encoding="utf-8") as handle:
        for line in handle:
            key, sep, value = line.strip().partition(":")
            if sep:
                table[key] = value
    return table


@lru_cache(maxsize=1)
def stdlib_modules() -> frozenset[str]:
    """This interpreter's standard library, pipreqs' list (which has old names) and Python 2 names."""
    with Path(_pipreqs.join("stdlib")).open(encoding="utf-8") as handle:
        listed = {line.strip() for line in handle if line.strip()}
    return frozenset(set(sys.stdlib_module_names) | listed | PY2_STDLIB)


def is_stdlib(module: str) -> bool:
    """True for a standard-library import (``os.path`` → ``os``)."""
    return module.partition(".")[0] in stdlib_modules()


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` become ``-`` (``scikit_learn`` → ``scikit-learn``)."""
    return str(canonicalize_name(name.strip()))


def declared_to_package(name: str, *, conda: bool = False) -> str | None:
    """A declared requirement's distribution name; ``None`` for interpreters, installers and system libs."""
    name = name.strip()
    if not name:
        return None
    if conda:
        name = name.split("::")[-1]
        name = CONDA_TO_PYPI.get(name.lower(), name)
    package = normalise(name)
    return None if package in NON_PACKAGES else package
