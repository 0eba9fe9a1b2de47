"""The device a run used is named by its model (CPU) or name (GPU), not by the architecture."""

from __future__ import annotations

import platform
import re
from pathlib import Path

import pytest

from core.device import cpu_name, cpu_name_from_cpuinfo, device_name

X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13 64-Core Processor
flags\t\t: fpu vme

processor\t: 1
model name\t: something else
"""
RASPBERRY_PI = """processor\t: 0
BogoMIPS\t: 108.00
CPU part\t: 0xd08

Hardware\t: BCM2835
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
"""
POWER = "processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n"


def test_model_names_from_cpuinfo_text():
    assert cpu_name_from_cpuinfo(X86) == "AMD EPYC 7B13 64-Core Processor"  # first processor's block
    assert cpu_name_from_cpuinfo(RASPBERRY_PI) == "Raspberry Pi 4 Model B Rev 1.4"  # Model before Hardware
    assert cpu_name_from_cpuinfo(POWER) == "POWER9 (raw), altivec supported"
    assert cpu_name_from_cpuinfo("processor\t: 0\nflags\t: fpu\n") is None


def test_cpu_name_reads_the_given_file(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(X86)
    assert cpu_name(info) == "AMD EPYC 7B13 64-Core Processor"


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="no /proc/cpuinfo on this system")
def test_this_machine_is_named_by_its_model():
    text = Path("/proc/cpuinfo").read_text()
    expected = re.search(r"^(?:model name|Model|Hardware|cpu)\s*:\s*(.+)$", text, flags=re.M)
    if expected is None:
        pytest.skip("this /proc/cpuinfo names no model")
    assert device_name("cpu") == " ".join(expected.group(1).split())
    assert device_name("cpu") != platform.machine()
