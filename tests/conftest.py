"""Settings shared by the whole test run (unit tests, doctests and nbval)."""
import os

# Plots in unit tests never open a window; TensorFlow keeps its C++ log lines to itself.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
