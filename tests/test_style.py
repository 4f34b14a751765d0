"""The code of the course is ruff-clean (rules in pyproject.toml)."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    targets = [p for p in ("lossfns", "tests", "benchmarks", "_ext") if (ROOT / p).exists()]
    out = subprocess.run([sys.executable, "-m", "ruff", "check", *targets], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
