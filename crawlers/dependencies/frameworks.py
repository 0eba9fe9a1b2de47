"""Deep-learning frameworks of a repository, from its PEP 503 package set.

The rule (also in docs/DESIGN.md, "Dependency inference"): a repository uses framework F when its
*used* package set (every import plus every non-optional declared requirement; extras and dev groups do
not count) contains one of F's distributions below. Exact names, not substrings: ``'torch' in name``
would count ``pytorch-msssim``-style helpers and miss ``lasagne``.

- pytorch: ``torch``, ``pytorch``, ``torchvision``, ``torchaudio``, ``torchtext``, ``pytorch-lightning``,
  ``lightning``, ``torch-geometric`` (and the ``torch-scatter``/``-sparse``/``-cluster``/``-spline-conv``
  extensions). ``torchvision``/``torchaudio``/``torchtext`` alone count: they cannot run without torch,
  so code that declares or imports them runs PyTorch even when torch itself is left implicit.
- tensorflow: ``tensorflow``, ``tensorflow-gpu``, ``tensorflow-cpu``, ``tf-nightly`` (``-gpu``/``-cpu``),
  ``tensorflow-macos``, ``tensorflow-rocm``, ``intel-tensorflow``. ``tf.keras`` is TensorFlow.
- keras: ``keras``, ``keras-nightly`` only. ``from tensorflow import keras`` is *not* Keras (it imports
  ``tensorflow``); companion libraries (``keras-applications``) do not count alone.
- jax: ``jax``, ``jaxlib``, ``flax``, ``dm-haiku``, ``objax``, ``optax``, ``equinox`` (all JAX-only).
- mxnet: ``mxnet`` and its CUDA builds (``mxnet-cu*``, ``mxnet-mkl``), ``gluonnlp``, ``gluoncv``.
- theano: ``theano``, ``theano-pymc``, ``lasagne`` (Theano-only).
- chainer: ``chainer``, ``chainerrl``, ``chainercv``.
- paddlepaddle: ``paddlepaddle``, ``paddlepaddle-gpu``.

A repository may use several frameworks, or none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FRAMEWORKS: dict[str, frozenset[str]] = {
    "pytorch": frozenset(
        {
            "torch",
            "pytorch",
            "torchvision",
            "torchaudio",
            "torchtext",
            "pytorch-lightning",
            "lightning",
            "torch-geometric",
            "torch-scatter",
            "torch-sparse",
            "torch-cluster",
            "torch-spline-conv",
        }
    ),
    "tensorflow": frozenset(
        {
            "tensorflow",
            "tensorflow-gpu",
            "tensorflow-cpu",
            "tf-nightly",
            "tf-nightly-gpu",
            "tf-nightly-cpu",
            "tensorflow-macos",
            "tensorflow-rocm",
            "intel-tensorflow",
        }
    ),
    "keras": frozenset({"keras", "keras-nightly"}),
    "jax": frozenset({"jax", "jaxlib", "flax", "dm-haiku", "objax", "optax", "equinox"}),
    "mxnet": frozenset({"mxnet", "mxnet-mkl", "gluonnlp", "gluoncv"}),
    "theano": frozenset({"theano", "theano-pymc", "lasagne"}),
    "chainer": frozenset({"chainer", "chainerrl", "chainercv"}),
    "paddlepaddle": frozenset({"paddlepaddle", "paddlepaddle-gpu"}),
}

FRAMEWORK_NAMES = tuple(FRAMEWORKS)

_MXNET_BUILD = re.compile(r"^mxnet-cu\d+(mkl)?$")


def frameworks_of(packages: Iterable[str]) -> dict[str, bool]:
    """``{framework: used}`` for every framework in :data:`FRAMEWORK_NAMES`, from PEP 503 names."""
    names = set(packages)
    flags = {name: bool(names & members) for name, members in FRAMEWORKS.items()}
    if any(_MXNET_BUILD.match(n) for n in names):
        flags["mxnet"] = True
    return flags
