"""Repositories that reproduce each census-accuracy defect of issue 14, as file maps for ``make_repo``."""

from __future__ import annotations

from tests.crawlers.repo_factory import notebook

#: Declares build variants and imports the plain names: one family each, nothing undeclared.
ALIASES: dict[str, str | bytes] = {
    "requirements.txt": "tensorflow-gpu==1.14\nopencv-python-headless\nPillow-SIMD\n",
    "train.py": (
        "import tensorflow as tf\nimport cv2\nfrom PIL import Image\nimport wandb\nimport mysterylib\n"
    ),
}

#: Local names only from plausible roots: a nested utils/datasets.py and scripts/evaluate.py hide nothing.
NESTED_LOCAL: dict[str, str | bytes] = {
    "train.py": "import datasets\nimport evaluate\nimport mypkg\nimport utils\n",
    "utils/__init__.py": "",
    "utils/datasets.py": "import numpy\n",
    "scripts/evaluate.py": "import scipy\n",
    "scripts/run.py": "import evaluate\n",  # a script: its own folder is on sys.path
    "src/mypkg/__init__.py": "",  # a top-level package (src layout)
    "legacy/__init__.py": "",
    "legacy/helpers.py": "x = 1\n",
    "legacy/old.py": 'import helpers\nprint "python 2"\n',  # implicit relative import of Python 2
}

#: An RL project's YAML configuration beside a real conda environment.
ENV_YAML: dict[str, str | bytes] = {
    "env_config.yaml": "env: HalfCheetah-v2\nseed: 0\nsteps: 1000000\n",
    "configs/environment_params.yml": "dependencies_note: none\nlr: 0.1\n",
    "envs/environment.yml": "name: rl\ndependencies:\n  - python=3.7\n  - numpy=1.18\n",
    "main.py": "import numpy\n",
}

#: Requirement lines that are URLs, and a setup.cfg with environment markers.
URLS: dict[str, str | bytes] = {
    "requirements.txt": (
        "https://download.pytorch.org/whl/cu100/torch-1.1.0-cp36-cp36m-linux_x86_64.whl\n"
        "https://files.example.org/packages/einops-0.3.0.tar.gz\n"
        "mylib @ git+https://github.com/o/mylib.git@v1\n"
        "git+https://github.com/cocodataset/cocoapi.git\n"
        "https://github.com/owner/SomeTool/archive/master.zip\n"
    ),
    "setup.cfg": (
        "[metadata]\nname = paper\n[options]\ninstall_requires =\n"
        '    numpy>=1.17; python_version >= "3.6"\n'
        "    dataclasses; python_version < '3.7'\n"
        "[options.extras_require]\ndev = pytest; black\n"
    ),
}

#: A PyTorch code base where every other framework plays a different minor role.
ROLES: dict[str, str | bytes] = {
    "requirements.txt": "torch==1.4\ntheano\n",
    "model.py": "import torch\nimport torch.nn as nn\n",
    "train.py": "import torch\nfrom model import Net\n\ndef export():\n    import mxnet\n    return mxnet\n",
    "data.py": "import torchvision\ntry:\n    import jax\nexcept ImportError:\n    jax = None\n",
    "foolbox/__init__.py": '__version__ = "2.3.0"\nfrom foolbox.models import Model\n',
    "foolbox/models.py": "import tensorflow as tf\n",
    "foolbox/requirements.txt": "tensorflow>=1.14\n",
    "tools/convert_keras_to_pytorch.py": "import keras\nimport torch\n",
    "tests/test_chainer.py": "import chainer\n",
    "examples/demo.py": "import paddle\n",
}

#: Python 2 only, and notebooks only (one with a Python 2 kernel).
PYTHON2: dict[str, str | bytes] = {
    "requirements.txt": "numpy\n",
    "main.py": 'import cPickle\nprint "loaded"\n',
}
NOTEBOOKS: dict[str, str | bytes] = {
    "analysis.ipynb": notebook("import torch\nimport pandas as pd"),
    "old.ipynb": (
        '{"nbformat": 4, "nbformat_minor": 0, "metadata": {"kernelspec": {"name": "python2"}}, "cells": '
        '[{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["print \\"hi\\""]}]}'
    ),
}

#: What the published method would see: a requirements.txt without the framework the code imports.
PUBLISHED_REQUIREMENTS: dict[str, str | bytes] = {
    "requirements.txt": "numpy\npytorch-msssim\n",
    "main.py": "import tensorflow as tf\nimport numpy\n",
}
