"""Settings and fixtures shared by the whole test run (unit tests, doctests and nbval)."""
import os

import pytest
from browser import CHROMIUM_ARGS, chromium_path, missing

# TensorFlow keeps its C++ log lines and oneDNN notice to itself (kernels started by nbval inherit this).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# Under pytest-xdist (README command (b): -n 2) each worker gets one BLAS/OpenMP thread, set before
# any test module imports NumPy, torch or TensorFlow; kernels started by nbval inherit it. A count
# set from outside (.ci/nbval-under) wins.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                 "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(_var, "1")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of the session (tests/browser.py)."""
    chromium = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -r requirements.txt)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# The longest test files, longest first (seconds of one run with one worker, 2026-12: site 173, PDF 128,
# grader 83, chapters 6, 8, 5, 4, 7, 3, 2 between 50 and 20). pytest-xdist's loadfile hands whole files
# to the two workers in collection order, and its own order (most tests first, --no-loadscope-reorder in
# pyproject.toml turns it off) left the few-test, long files for last, with the other worker idle.
LONGEST_FIRST = (
    "tests/test_site.py", "tests/test_pdf.py", "tests/test_grading.py",
    "chapters/06_troubleshooting.ipynb", "chapters/08_churn_project.ipynb", "chapters/05_regularization.ipynb",
    "chapters/04_deep_learning_losses.ipynb", "chapters/07_active_learning.ipynb",
    "chapters/03_classification.ipynb", "chapters/02_regression.ipynb", "chapters/09_modern_losses.ipynb",
)


def pytest_collection_modifyitems(config, items):
    """Run the files of LONGEST_FIRST first, in that order; every file keeps its own order (nbval's cells)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    root = config.rootpath
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), len(rank)))
