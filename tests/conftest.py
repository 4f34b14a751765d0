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
