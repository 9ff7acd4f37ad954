"""The environments benchmarks run their reference implementations in: a venv under .bench/,
made on first use and given the reference's pinned package, apart from the project's own
environment (so a reference's dependencies never enter wulian's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def python_with(venv: Path, module: str, requirement: str, label: str, given: str | None) -> str:
    """The Python that runs a reference: the one given, or venv's, made (and requirement
    installed in it) where it is missing or cannot import module."""
    if given:
        return given
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"创建{label}的运行环境 {venv} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    probe = [str(python), "-c", f"import {module}"]
    if subprocess.run(probe, capture_output=True, check=False).returncode:  # noqa: S603
        install = [str(python), "-m", "pip", "install", "--quiet", requirement]
        subprocess.run(install, check=True)  # noqa: S603
    return str(python)
