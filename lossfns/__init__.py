r"""lossfns: the loss functions of *Loss Functions, Executed*, in NumPy, with gradients.

Importing the package imports NumPy only. Submodules that need more
(``plotting`` needs Matplotlib, ``torch`` and ``keras`` their frameworks) load
on first attribute access, e.g. ``lossfns.plotting``.

Sample weights
--------------
Every loss of the registry and its gradient take ``sample_weight``: one
weight :math:`w_i \ge 0` per loss of ``reduction="none"``, in an array of
the same shape. An axis of length 1 repeats a weight along it (``(n, 1)``
weighs the rows of ``(n, k)`` elementwise losses); nothing else broadcasts,
so ``(n,)`` against losses of shape ``(n, 1)`` is an error naming both
shapes, not an ``(n, n)`` product. NaN, infinite, negative and non-numeric
weights are refused. The reductions become

* ``"none"``: :math:`w_i \ell_i`; ``"sum"``: :math:`\sum_i w_i \ell_i`;
* ``"mean"``: :math:`\frac1n \sum_i w_i \ell_i`, :math:`n` the number of
  losses (Keras' ``sum_over_batch_size``, PyTorch's BCE ``weight``);
* ``"weighted_mean"``: :math:`\sum_i w_i \ell_i / \sum_i w_i` (Keras'
  ``mean_with_sample_weight``), an error when the weights sum to 0.

Where a loss's ``"mean"`` is not a plain average the weights keep its rule:
CTC divides each loss by its label length, ``ignore_index`` leaves labels out
of the sum and of :math:`n`. The cross-entropies' ``class_weight`` multiplies
each sample's weight by that of its class in the divisor of
``"weighted_mean"``, which is then PyTorch's ``cross_entropy(weight=w)``
mean, :math:`\sum_i w_{y_i} \ell_i / \sum_i w_{y_i}`. ``sample_weight=None``
(the default) computes exactly what the loss computed before it existed.

The class axis
--------------
The losses over classes (``categorical_cross_entropy``,
``sparse_categorical_cross_entropy``, ``nll``, ``categorical_focal``,
``multiclass_hinge``, ``kl_divergence`` and their gradients) read the classes from the last axis of the prediction,
as Keras does; ``axis=1`` reads PyTorch's ``(N, C, d1, ...)`` layout as it
is. Per-sample losses and ``sample_weight`` then have the prediction's
shape without that axis, and a gradient has the prediction's shape.
"""
from __future__ import annotations

import importlib

from lossfns import minimisers, monitor, nn, registry, regularization, stats
from lossfns.classification import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    categorical_focal,
    categorical_focal_grad,
    focal,
    focal_grad,
    hinge,
    hinge_grad,
    multiclass_hinge,
    multiclass_hinge_grad,
    nll,
    nll_grad,
    sparse_categorical_cross_entropy,
    sparse_categorical_cross_entropy_grad,
    squared_hinge,
    squared_hinge_grad,
    zero_one,
)
from lossfns.distillation import distillation, distillation_grad
from lossfns.embedding import (
    contrastive,
    contrastive_grad,
    cosine_embedding,
    cosine_embedding_grad,
    margin_ranking,
    margin_ranking_grad,
    triplet,
    triplet_grad,
)
from lossfns.gradcheck import GradcheckResult, check_layer, gradcheck, numerical_grad
from lossfns.monitor import LossMonitor, TrainingStopped, Verdict
from lossfns.optim import OptimResult, gradient_descent, mse_hessian, newton
from lossfns.preference import bradley_terry, bradley_terry_grad, dpo, dpo_grad
from lossfns.probabilistic import gaussian_nll, gaussian_nll_grad, kl_divergence, kl_divergence_grad
from lossfns.regression import (
    general_robust,
    general_robust_grad,
    huber,
    huber_grad,
    log_cosh,
    log_cosh_grad,
    mae,
    mae_grad,
    mse,
    mse_grad,
    msle,
    msle_grad,
    poisson_nll,
    poisson_nll_grad,
    quantile,
    quantile_grad,
    tukey,
    tukey_grad,
)
from lossfns.regularization import (
    elastic_net_penalty,
    elastic_net_penalty_grad,
    l1_penalty,
    l1_penalty_grad,
    l2_penalty,
    l2_penalty_grad,
    prox_elastic_net,
    soft_threshold,
)
from lossfns.representation import info_nce, info_nce_grad, nt_xent, nt_xent_grad
from lossfns.segmentation import dice, dice_grad, tversky, tversky_grad
from lossfns.sequence import ctc, ctc_grad
from lossfns.stats import PairedComparison, Spread, paired_difference, spread

__version__ = "0.1.0"

_LAZY = ("active", "atlas", "calibration", "coursework", "data", "decision", "exercises", "keras", "plotting",
         "precomputed", "torch")

__all__ = [
    "GradcheckResult", "gradcheck", "check_layer", "numerical_grad", "registry",
    "monitor", "LossMonitor", "TrainingStopped", "Verdict",
    "mae", "mae_grad", "mse", "mse_grad", "msle", "msle_grad",
    "huber", "huber_grad", "log_cosh", "log_cosh_grad", "quantile", "quantile_grad",
    "tukey", "tukey_grad", "poisson_nll", "poisson_nll_grad", "general_robust", "general_robust_grad",
    "gaussian_nll", "gaussian_nll_grad", "kl_divergence", "kl_divergence_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad", "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_grad", "hinge", "hinge_grad",
    "squared_hinge", "squared_hinge_grad", "multiclass_hinge", "multiclass_hinge_grad", "nll", "nll_grad", "zero_one",
    "focal", "focal_grad", "categorical_focal", "categorical_focal_grad",
    "contrastive", "contrastive_grad", "triplet", "triplet_grad", "cosine_embedding", "cosine_embedding_grad",
    "margin_ranking", "margin_ranking_grad",
    "dice", "dice_grad", "tversky", "tversky_grad", "ctc", "ctc_grad",
    "info_nce", "info_nce_grad", "nt_xent", "nt_xent_grad", "distillation", "distillation_grad",
    "bradley_terry", "bradley_terry_grad", "dpo", "dpo_grad",
    "OptimResult", "gradient_descent", "newton", "mse_hessian",
    "nn", "regularization", "l1_penalty", "l1_penalty_grad", "l2_penalty", "l2_penalty_grad",
    "elastic_net_penalty", "elastic_net_penalty_grad", "soft_threshold", "prox_elastic_net",
    "stats", "Spread", "spread", "PairedComparison", "paired_difference", "minimisers",
]


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f"lossfns.{name}")
    raise AttributeError(f"module 'lossfns' has no attribute {name!r}")
