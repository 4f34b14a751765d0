"""Settings and fixtures shared by the whole test run (unit tests, doctests and nbval)."""
import os

import pytest
from browser import CHROMIUM_ARGS, chromium_path, missing

# TensorFlow keeps its C++ log lines and oneDNN notice to itself (kernels started by nbval inherit this).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


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
