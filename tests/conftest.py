"""Settings shared by the whole test run (unit tests, doctests and nbval)."""
import os

# TensorFlow keeps its C++ log lines and oneDNN notice to itself (kernels started by nbval inherit this).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
