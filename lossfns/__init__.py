"""lossfns: the loss functions of *Loss Functions, Executed*, in NumPy, with gradients.

Importing the package imports NumPy only. Submodules that need more
(``plotting`` needs Matplotlib, ``torch`` and ``keras`` their frameworks) load
on first attribute access, e.g. ``lossfns.plotting``.
"""
from __future__ import annotations

import importlib

from lossfns import registry
from lossfns.gradcheck import GradcheckResult, gradcheck, numerical_grad
from lossfns.regression import mae, mae_grad, mse, mse_grad

__version__ = "0.1.0"

_LAZY = ("coursework", "data", "exercises", "plotting")

__all__ = [
    "GradcheckResult", "gradcheck", "numerical_grad", "registry",
    "mae", "mae_grad", "mse", "mse_grad",
]


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f"lossfns.{name}")
    raise AttributeError(f"module 'lossfns' has no attribute {name!r}")
