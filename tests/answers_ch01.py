"""Reference solutions and typical wrong answers for the exercises of chapter 1.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""

import numpy as np


def mse_by_hand(y_true, y_pred):
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float((diff * diff).sum() / diff.size)


def linear_mse_grad(X, y, w):
    return 2.0 / X.shape[0] * X.T @ (X @ w - y)


def reduce_losses(per_sample, reduction):
    values = np.asarray(per_sample, dtype=float)
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    if reduction == "none":
        return values
    raise ValueError(f"unknown reduction {reduction!r}")


def max_stable_lr(X):
    hessian = 2.0 / X.shape[0] * X.T @ X
    return 2.0 / np.linalg.eigvalsh(hessian)[-1]


def _reduce_no_error(per_sample, reduction):
    values = np.asarray(per_sample, dtype=float)
    return values.sum() if reduction == "sum" else values if reduction == "none" else values.mean()


def _reduce_sum_for_mean(per_sample, reduction):
    if reduction == "mean":
        return np.sum(per_sample)
    return reduce_losses(per_sample, reduction)


def _reduce_mean_first_axis(per_sample, reduction):
    if reduction == "mean":
        return np.mean(per_sample, axis=0)
    return reduce_losses(per_sample, reduction)


def train_and_held_out_mse(A_train, y_train, A_test, y_test):
    w, *_ = np.linalg.lstsq(A_train, y_train, rcond=None)
    return np.mean((A_train @ w - y_train) ** 2), np.mean((A_test @ w - y_test) ** 2)


def _gap_fitted_on_test(A_train, y_train, A_test, y_test):
    w, *_ = np.linalg.lstsq(A_test, y_test, rcond=None)
    return np.mean((A_train @ w - y_train) ** 2), np.mean((A_test @ w - y_test) ** 2)


REFERENCE = {"1.1": mse_by_hand, "1.2": linear_mse_grad, "1.3": reduce_losses, "1.4": max_stable_lr,
             "1.5": train_and_held_out_mse}

WRONG = {
    "1.1": {
        "missing square": lambda t, p: np.mean(np.asarray(p, float) - np.asarray(t, float)),
        "sum instead of mean": lambda t, p: np.sum((np.asarray(p, float) - np.asarray(t, float)) ** 2),
        "root of the mean (RMSE)": lambda t, p: np.sqrt(mse_by_hand(t, p)),
        "no reduction": lambda t, p: (np.asarray(p, float) - np.asarray(t, float)) ** 2,
    },
    "1.2": {
        "wrong sign": lambda X, y, w: -linear_mse_grad(X, y, w),
        "missing 2/n": lambda X, y, w: X.T @ (X @ w - y),
        "missing the 2": lambda X, y, w: linear_mse_grad(X, y, w) / 2,
        "column vector": lambda X, y, w: linear_mse_grad(X, y, w)[:, None],
    },
    "1.3": {
        "no ValueError": _reduce_no_error,
        "sum for mean": _reduce_sum_for_mean,
        "mean over the first axis": _reduce_mean_first_axis,
    },
    "1.4": {
        "off by a factor 2 (too small)": lambda X: max_stable_lr(X) / 2,
        "off by a factor 2 (too large)": lambda X: max_stable_lr(X) * 2,
        "Hessian without 2/n": lambda X: 2.0 / np.linalg.eigvalsh(X.T @ X)[-1],
        "smallest eigenvalue": lambda X: 2.0 / np.linalg.eigvalsh(2.0 / X.shape[0] * X.T @ X)[0],
    },
    "1.5": {
        "pair swapped": lambda *a: train_and_held_out_mse(*a)[::-1],
        "fitted on the held-out data": _gap_fitted_on_test,
        "sums, not means": lambda At, yt, Ae, ye: tuple(
            m * len(y) for m, y in zip(train_and_held_out_mse(At, yt, Ae, ye), (yt, ye), strict=True)),
        "only the gap": lambda *a: train_and_held_out_mse(*a)[1] - train_and_held_out_mse(*a)[0],
    },
}
