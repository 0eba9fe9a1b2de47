"""Names: import name → distribution name, conda name → PyPI name, everything PEP 503 normalised.

pipreqs ships an import→distribution table (its ``mapping`` file, read here through the same file that
``pipreqs.pipreqs.get_pkg_names`` reads). Some of its entries are wrong for research code
(``sklearn → scikit_learn`` is fine after PEP 503 but ``models → asposestorage``, ``src → auto_mix_prep``,
``google → protobuf`` are not) and some common ones are missing (``cv2``, ``skimage``, ``attr``, ``absl``).
:data:`IMPORT_OVERRIDES` is consulted first, by longest dotted prefix, so ``google.cloud.storage`` can map
differently from ``google.protobuf``. ``None`` means "not a distribution": drop it.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from packaging.utils import canonicalize_name
from pipreqs import pipreqs as _pipreqs

#: Import name (or dotted prefix) → distribution; ``None`` drops the import. Checked before pipreqs' table.
IMPORT_OVERRIDES: dict[str, str | None] = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "skimage": "scikit-image",
    "attr": "attrs",
    "absl": "absl-py",
    "yaml": "pyyaml",
    "PIL": "pillow",
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
    "googleapiclient": "google-api-python-client",
    # Namespaced TensorFlow and JAX ecosystem projects.
    "tensorflow_datasets": "tensorflow-datasets",
    "tensorflow_probability": "tensorflow-probability",
    "tensorflow_hub": "tensorflow-hub",
    "tensorflow_addons": "tensorflow-addons",
    "tensorflow_text": "tensorflow-text",
    "tensorflow_gan": "tensorflow-gan",
    "tensorflow_federated": "tensorflow-federated",
    "tf_slim": "tf-slim",
    "official": "tf-models-official",
    "tf": None,  # no TensorFlow distribution is imported as ``tf``; on PyPI and in ROS it is unrelated
    "haiku": "dm-haiku",
    "sonnet": "dm-sonnet",
    "tree": "dm-tree",
    "dm_control": "dm-control",
    "dm_env": "dm-env",
    "paddle": "paddlepaddle",
    # Frequent in ML code, missing or odd in pipreqs 0.5.0.
    "torch_geometric": "torch-geometric",
    "torch_scatter": "torch-scatter",
    "torch_sparse": "torch-sparse",
    "pytorch_lightning": "pytorch-lightning",
    "tensorboardX": "tensorboardx",
    "mpl_toolkits": "matplotlib",
    "hydra": "hydra-core",
    "gin": "gin-config",
    "ot": "pot",
    "pyro": "pyro-ppl",
    "skopt": "scikit-optimize",
    "mujoco_py": "mujoco-py",
    "atari_py": "atari-py",
    "faiss": "faiss-cpu",
    "Levenshtein": "python-levenshtein",
    "community": "python-louvain",
    "igraph": "python-igraph",
    "git": "gitpython",
    "dateutil": "python-dateutil",
    "gflags": "python-gflags",
    "pytorch_pretrained_bert": "pytorch-pretrained-bert",
    "sentence_transformers": "sentence-transformers",
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


def _google_cloud(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "google" and parts[1] == "cloud":
        return f"google-cloud-{parts[2]}"
    return None


def import_to_package(module: str) -> str | None:
    """The distribution an import comes from, PEP 503 normalised; ``None`` when it is no distribution.

    Order: ``google.cloud.X`` → ``google-cloud-X``; the longest dotted prefix in :data:`IMPORT_OVERRIDES`;
    pipreqs' table for the top-level name; else the top-level name itself. Installers and build tools
    (:data:`NON_PACKAGES`: ``setuptools``, ``pip``) are dropped: importing them is packaging, not use.
    """
    module = module.strip().strip(".")
    if not module:
        return None
    cloud = _google_cloud(module)
    if cloud:
        return normalise(cloud)
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in IMPORT_OVERRIDES:
            target = IMPORT_OVERRIDES[prefix]
            return normalise(target) if target else None
    top = parts[0]
    package = normalise(pipreqs_table().get(top, top))
    return None if package in NON_PACKAGES else package  # ``from setuptools import setup`` is packaging


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
