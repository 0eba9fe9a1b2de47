"""What the device a run used is called: the GPU's name or the CPU's model, never just ``x86_64``.

A report's reader wants to know what hardware produced its numbers (and how long they took on it),
so environment.json records a name a person recognises. Shared by the pipeline (host side) and by
anything that describes a run from inside a container, hence in ``core``.

Written here rather than with py-cpuinfo: that library starts a subprocess and takes about two
seconds per call; the facts needed are one line of ``/proc/cpuinfo`` (Linux), one ``sysctl``
(macOS) or ``platform.processor()`` (Windows, where it is the model string).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

#: /proc/cpuinfo keys that hold a model name: x86 ("model name"), some ARM boards ("Model",
#: "Hardware"), POWER ("cpu"). The first present wins.
CPUINFO_KEYS = ("model name", "Model", "Hardware", "cpu")


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The CPU's model name (e.g. "AMD EPYC 7B13"), or None when the system does not say."""
    if cpuinfo.is_file():
        try:
            name = cpu_name_from_cpuinfo(cpuinfo.read_text(errors="replace"))
        except OSError:
            name = None
        if name:
            return name
    if sys.platform == "darwin":
        name = _run(["sysctl", "-n", "machdep.cpu.brand_string"])
        if name:
            return name
    processor = platform.processor().strip()
    # On Linux platform.processor() is the architecture ("x86_64"): no better than nothing.
    if processor and processor not in (platform.machine(), "i386", "arm", "unknown"):
        return processor
    return None


def cpu_name_from_cpuinfo(text: str) -> str | None:
    """The model name in the text of /proc/cpuinfo (first processor's block)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip(), " ".join(value.split())
        if sep and value and key in CPUINFO_KEYS and key not in found:
            found[key] = value
    for key in CPUINFO_KEYS:
        if key in found:
            return found[key]
    return None


def gpu_name() -> str | None:
    """The first CUDA GPU's name: from torch when it sees one, else from ``nvidia-smi`` (a host whose
    torch is a CPU build can still pass its GPU to a container)."""
    try:
        import torch

        if torch.cuda.is_available():
            return str(torch.cuda.get_device_name(0))
    except ImportError:  # pragma: no cover - torch is a dependency; describing must not need it
        pass
    if shutil.which("nvidia-smi"):
        out = _run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"])
        if out:
            return out.splitlines()[0].strip()
    return None


def device_name(resolved: str) -> str | None:
    """The name of the device a run resolved to ("cuda" → the GPU, anything else → the CPU)."""
    if resolved == "cuda":
        return gpu_name()
    return cpu_name()


def _run(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
