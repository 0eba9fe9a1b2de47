"""File contents of realistic, messy research repositories (what ICLR-era code looks like).

Each constant maps a path inside the repository to its content; tests build real git repositories
from them with :func:`tests.crawlers.repo_factory.make_repo`.
"""

from __future__ import annotations

from tests.crawlers.repo_factory import notebook

#: Requirements with includes, comments, markers, options, URLs; setup.py with variables; Python 2 and
#: latin-1 files; a notebook; local modules named like PyPI projects; an empty submodule; a vendored copy.
MESSY: dict[str, str | bytes] = {
    "requirements.txt": (
        "# core dependencies\n"
        "numpy==1.18.1  # pinned for the paper\n"
        "-r requirements/extra.txt\n"
        "--index-url https://download.pytorch.org/whl/cu100\n"
        'torch>=1.4 ; python_version >= "3.6"\n'
        "-e git+https://github.com/facebookresearch/fvcore.git#egg=fvcore\n"
        "git+https://github.com/cocodataset/cocoapi.git#subdirectory=PythonAPI&egg=pycocotools\n"
        "tensorflow-gpu=1.14\n"
        "scikit_learn\n"
        "Pillow>=6.0,<7 \\\n"
        "    # continuation\n"
        "python==3.6\n"
    ),
    "requirements/extra.txt": "tqdm\nopencv-python-headless==4.1.2.30\n",
    "setup.py": (
        "from setuptools import setup, find_packages\n"
        'open("EXECUTED", "w").write("setup.py was run")\n'
        'REQS = ["scipy>=1.3", "matplotlib"]\n'
        'EXTRA = {"dev": ["pytest"]}\n'
        "setup(\n"
        '    name="messy",\n'
        "    packages=find_packages(),\n"
        '    install_requires=REQS + ["h5py"],\n'
        "    extras_require=EXTRA,\n"
        '    python_requires=">=3.6",\n'
        ")\n"
    ),
    "train.py": (
        "import os, sys\n"
        "import numpy as np\n"
        "import torch.nn as nn\n"
        "from sklearn.metrics import accuracy_score\n"
        "import cv2\n"
        "import yaml\n"
        "from models.resnet import ResNet\n"
        "import utils\n"
        "from google.cloud import storage\n"
        "import google.protobuf\n"
        "import dnnlib\n"
        "import keras\n"
        "import wandb\n"
        "from . import sibling\n"
        "try:\n"
        "    import apex\n"
        "except ImportError:\n"
        "    apex = None\n"
    ),
    "models/__init__.py": "",
    "models/resnet.py": "import torch\nfrom torchvision import models\n",
    "utils.py": "import json\nfrom absl import flags\nimport attr\n",
    "legacy/py2_eval.py": (
        'import cPickle\nimport scipy.io as sio\nprint "evaluating"\nfrom skimage import io\n'
    ),
    "legacy/latin1.py": (
        b"# -*- coding: latin-1 -*-\n# r\xe9sultats de l'article\nimport pandas as pd\nx = '\xe9'\n"
    ),
    "notebooks/demo.ipynb": notebook(
        "!pip install einops==0.3.0 --quiet",
        "%matplotlib inline\nimport seaborn as sns\nfrom tensorflow import keras as tfk",
        "import tqdm\nnp.mean?",  # IPython help syntax: not Python, read with the regex fallback
        "%%bash\npip install gdown\nls -la",
    ),
    ".gitmodules": '[submodule "dnnlib"]\n\tpath = submods/dnnlib\n\turl = https://github.com/NVlabs/dnnlib.git\n',
    "keras/__init__.py": "# a vendored, modified copy of keras\n",
    "wandb/run-20200101/config.yaml": "lr: 0.1\n",
    "third_party/other/setup.py": 'from setuptools import setup\nsetup(install_requires=["django"])\n',
}

#: The exact (package, source) pairs MESSY must produce, with the reason for each in a comment.
MESSY_EXPECTED: set[tuple[str, str]] = {
    # requirements.txt and its -r include (python==3.6 is a Python version, options lines skipped)
    ("numpy", "requirements.txt"),
    ("torch", "requirements.txt"),
    ("fvcore", "requirements.txt"),
    ("pycocotools", "requirements.txt"),
    ("tensorflow-gpu", "requirements.txt"),
    ("scikit-learn", "requirements.txt"),
    ("pillow", "requirements.txt"),
    ("tqdm", "requirements.txt"),
    ("opencv-python-headless", "requirements.txt"),
    # setup.py via ast (REQS variable + list, extras); third_party/other/setup.py is vendored
    ("scipy", "setup.py"),
    ("matplotlib", "setup.py"),
    ("h5py", "setup.py"),
    ("pytest", "setup.py"),
    # notebook !pip install and %%bash pip install
    ("einops", "notebook"),
    ("gdown", "notebook"),
    # imports: stdlib, relative, local (models/, utils.py, the empty dnnlib submodule) removed;
    # keras stays (never local); wandb stays (wandb/ holds no Python); py2 and latin-1 files scanned
    ("numpy", "imports"),
    ("torch", "imports"),
    ("torchvision", "imports"),
    ("scikit-learn", "imports"),
    ("opencv-python-headless", "imports"),  # import cv2: the declared build provides it
    ("pyyaml", "imports"),
    ("google-cloud-storage", "imports"),
    ("protobuf", "imports"),
    ("keras", "imports"),
    ("wandb", "imports"),
    ("apex", "imports"),
    ("absl-py", "imports"),
    ("attrs", "imports"),
    ("scipy", "imports"),
    ("scikit-image", "imports"),
    ("pandas", "imports"),
    ("seaborn", "imports"),
    ("tensorflow-gpu", "imports"),  # import tensorflow (notebook): requirements.txt declares the GPU build
    ("tqdm", "imports"),
}

#: PEP 621 and Poetry in one pyproject.toml (as seen in repositories migrating between the two).
PYPROJECT: dict[str, str | bytes] = {
    "pyproject.toml": (
        "[project]\n"
        'name = "proj"\n'
        'requires-python = ">=3.8"\n'
        'dependencies = ["jax[cuda]>=0.2.0", "optax", "Flax==0.3.4"]\n'
        "[project.optional-dependencies]\n"
        'test = ["pytest-cov"]\n'
        "[tool.poetry.dependencies]\n"
        'python = "^3.8"\n'
        'dm-haiku = "^0.0.4"\n'
        'chex = { version = "0.0.8", optional = false }\n'
        "[tool.poetry.group.dev.dependencies]\n"
        'black = "*"\n'
    ),
    "main.py": "import jax.numpy as jnp\nimport haiku as hk\n",
}

PYPROJECT_EXPECTED: set[tuple[str, str, str, bool]] = {
    ("jax", "pyproject.toml", ">=0.2.0", False),
    ("optax", "pyproject.toml", "", False),
    ("flax", "pyproject.toml", "==0.3.4", False),
    ("pytest-cov", "pyproject.toml", "", True),
    ("dm-haiku", "pyproject.toml", "^0.0.4", False),
    ("chex", "pyproject.toml", "0.0.8", False),
    ("black", "pyproject.toml", "", True),
    ("jax", "imports", "", False),
    ("dm-haiku", "imports", "", False),
}

#: conda environment with build strings, a channel prefix and a pip section; Pipfile; Dockerfile.
CONDA: dict[str, str | bytes] = {
    "environment.yml": (
        "name: paper\n"
        "channels:\n"
        "  - pytorch\n"
        "dependencies:\n"
        "  - python=3.7.6\n"
        "  - pytorch::pytorch=1.4.0=py3.7_cuda10.1.243_cudnn7.6.3_0\n"
        "  - cudatoolkit=10.1\n"
        "  - numpy>=1.17\n"
        "  - py-opencv\n"
        "  - pip\n"
        "  - pip:\n"
        "    - gym==0.15.4\n"
        "    - git+https://github.com/openai/baselines.git#egg=baselines\n"
    ),
    "Pipfile": (
        "[packages]\n"
        'requests = "*"\n'
        'networkx = {version = "==2.4"}\n'
        "[dev-packages]\n"
        'ipython = "*"\n'
        "[requires]\n"
        'python_version = "3.7"\n'
    ),
    "docker/Dockerfile": (
        "FROM python:3.7-slim\n"
        "RUN apt-get update && pip install --no-cache-dir -U \\\n"
        "    tensorboardX==2.0 -i https://pypi.org/simple mujoco-py && echo done\n"
        "RUN pip3 install -r requirements.txt\n"
    ),
    "agent.py": "import gym\nimport mujoco_py\n",
}

CONDA_EXPECTED: set[tuple[str, str, str]] = {
    ("torch", "environment.yml", "==1.4.0"),
    ("numpy", "environment.yml", ">=1.17"),
    ("opencv-python", "environment.yml", ""),
    ("gym", "environment.yml", "==0.15.4"),
    ("baselines", "environment.yml", ""),
    ("requests", "Pipfile", ""),
    ("networkx", "Pipfile", "==2.4"),
    ("ipython", "Pipfile", ""),
    ("tensorboardx", "Dockerfile", "==2.0"),
    ("mujoco-py", "Dockerfile", ""),
    ("gym", "imports", ""),
    ("mujoco-py", "imports", ""),
}

#: A monorepo: two papers' folders with their own requirements; a paper links to ``cfq``.
MONOREPO: dict[str, str | bytes] = {
    "README.md": "Research code.\n",
    "requirements.txt": "django\n",
    "cfq/requirements.txt": "tensorflow==1.15\nabsl-py\n",
    "cfq/run.py": "import tensorflow as tf\nfrom absl import app\nfrom cfq import preprocess\n",
    "cfq/preprocess.py": "import numpy\n",
    "other_paper/requirements.txt": "torch\n",
    "other_paper/main.py": "import torch\n",
}

MONOREPO_CFQ_EXPECTED: set[tuple[str, str]] = {
    ("tensorflow", "requirements.txt"),
    ("absl-py", "requirements.txt"),
    ("tensorflow", "imports"),
    ("absl-py", "imports"),
    ("numpy", "imports"),
}
