"""pyasic in a throwaway virtual environment under the git-ignored ``.cache/``.

pyasic is the independent reference we measure and check against; it is never a
dependency of Hashwatt. The environment uses the same interpreter as the project's
``.venv`` when it can, so both clients are compared on the same Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PYASIC_VERSION = "0.79.0"  # the newest release when the benchmark was written

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".cache" / "pyasic-venv"
PYTHON = VENV / "bin" / "python"


def _project_base_python() -> str:
    """Return the interpreter the project's .venv was made from, else this one."""
    config = REPO / ".venv" / "pyvenv.cfg"
    if config.exists():
        for line in config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                for name in ("python3.14", "python3", "python"):
                    candidate = Path(value.strip()) / name
                    if candidate.exists():
                        return str(candidate)
    return sys.executable


def _uv() -> str | None:
    bootstrap = REPO / ".cache" / "uv-bootstrap" / "bin" / "uv"
    if bootstrap.exists():
        return str(bootstrap)
    return shutil.which("uv")


def installed_version() -> str | None:
    """Return the pyasic version in the throwaway environment, if there is one."""
    if not PYTHON.exists():
        return None
    result = subprocess.run(
        [
            str(PYTHON),
            "-c",
            "import importlib.metadata as m; print(m.version('pyasic'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def ensure() -> Path:
    """Create the environment with the pinned pyasic unless it is already there."""
    if installed_version() == PYASIC_VERSION:
        return PYTHON
    sys.stderr.write(f"Installing pyasic=={PYASIC_VERSION} into {VENV} ...\n")
    if VENV.exists():
        shutil.rmtree(VENV)
    base = _project_base_python()
    uv = _uv()
    env = dict(os.environ, VIRTUAL_ENV="")
    if uv:
        subprocess.run([uv, "venv", "-q", "-p", base, str(VENV)], check=True, env=env)
        subprocess.run(
            [
                uv,
                "pip",
                "install",
                "-q",
                "--python",
                str(PYTHON),
                f"pyasic=={PYASIC_VERSION}",
            ],
            check=True,
            env=env,
        )
    else:
        subprocess.run([base, "-m", "venv", str(VENV)], check=True, env=env)
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "-q", f"pyasic=={PYASIC_VERSION}"],
            check=True,
            env=env,
        )
    if installed_version() != PYASIC_VERSION:
        raise RuntimeError(f"pyasic {PYASIC_VERSION} did not install into {VENV}")
    return PYTHON


if __name__ == "__main__":
    sys.stdout.write(f"{ensure()}\n")
