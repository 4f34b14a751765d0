"""Time a full, clean build of the book from its stored notebook outputs.

The book is built exactly as the README builds it
(``jupyter-book build . -W -n --keep-going``; ``_config.yml`` turns execution
off, so this times parsing and writing, not running notebooks). By default the
book's sources are copied to a temporary directory, so each run starts from
nothing and the working tree (and its ``_build``) is never touched;
``--in-place`` builds the sources where they are instead, with ``--all`` into a
fresh temporary output directory.

    python benchmarks/book_build.py              # 3 clean builds of this repo
    python benchmarks/book_build.py --repeat 5 --path /some/other/checkout

Prints each run, the minimum and the median, and the budget (30 s by default).
Exits 1 if a build fails, or with ``--check`` if the median is over budget.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 30.0
BUILD_ARGS = ["-W", "-n", "--keep-going"]
#: Not part of the book's sources: never copied.
IGNORE = shutil.ignore_patterns(
    "_build", ".git", ".venv", "student", "*.egg-info", "__pycache__",
    ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache",
)


def jupyter_book() -> str:
    """The ``jupyter-book`` of the running interpreter's environment."""
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.is_file():
        return str(exe)
    found = shutil.which("jupyter-book")
    if found is None:
        sys.exit("book_build: jupyter-book is not installed (pip install -r requirements.txt)")
    return found


def build_once(source: Path, in_place: bool) -> float:
    """Build the book once from a clean state; return the wall time in seconds."""
    with tempfile.TemporaryDirectory(prefix="book-build-") as tmp:
        if in_place:
            book = source
            command = [jupyter_book(), "build", ".", *BUILD_ARGS, "--all", "--path-output", tmp]
        else:
            book = Path(tmp, "book")
            shutil.copytree(source, book, ignore=IGNORE)
            command = [jupyter_book(), "build", ".", *BUILD_ARGS]
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=book, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        log = (proc.stdout + proc.stderr)[-4000:]
        sys.exit(f"book_build: the build failed (exit {proc.returncode}):\n{log}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="number of clean builds (default 3)")
    parser.add_argument("--path", type=Path, default=ROOT, help="the book's root (default: this repo)")
    parser.add_argument(
        "--in-place", action="store_true",
        help="build the sources where they are (with --all, output to a temporary directory)",
    )
    parser.add_argument("--target", type=float, default=TARGET_SECONDS, help="budget in seconds")
    parser.add_argument("--check", action="store_true", help="exit 1 if the median is over budget")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    source = args.path.resolve()
    if not (source / "_config.yml").is_file():
        parser.error(f"{source} has no _config.yml: not a Jupyter Book")

    times = []
    for run in range(1, args.repeat + 1):
        seconds = build_once(source, args.in_place)
        times.append(seconds)
        print(f"run {run}/{args.repeat}: {seconds:6.2f} s", flush=True)
    median = statistics.median(times)
    verdict = "within" if median <= args.target else "OVER"
    print(f"clean book build of {source}: min {min(times):.2f} s, median {median:.2f} s "
          f"({verdict} the target of <= {args.target:.0f} s)")
    return 1 if args.check and median > args.target else 0


if __name__ == "__main__":
    sys.exit(main())
