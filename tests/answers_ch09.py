"""Reference solutions and typical wrong answers for the exercises of chapter 9.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import numpy as np
from scipy.special import log_softmax, softmax


def masked_perplexity(targets, logits, pad):
    targets, logits = np.asarray(targets), np.asarray(logits, dtype=float)
    keep = targets != pad
    logp = log_softmax(logits[keep], axis=-1)
    return float(np.exp(-np.mean(logp[np.arange(keep.sum()), targets[keep]])))


def distillation_gradient(teacher_logits, student_logits, temperature):
    t, s = np.asarray(teacher_logits, dtype=float), np.asarray(student_logits, dtype=float)
    q, p = softmax(s / temperature, axis=1), softmax(t / temperature, axis=1)
    return temperature * (q - p) / len(t)


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    margin = beta * ((np.asarray(policy_chosen) - ref_chosen) - (np.asarray(policy_rejected) - ref_rejected))
    return float(np.mean(np.logaddexp(0.0, -margin)))


# --- wrong answers -------------------------------------------------------------------------------

def _perplexity_padding_averaged_in(targets, logits, pad):
    targets, logits = np.asarray(targets), np.asarray(logits, dtype=float)
    logp = log_softmax(logits, axis=-1)
    return float(np.exp(-np.mean(np.take_along_axis(logp, targets[..., None], axis=-1))))


def _cross_entropy_not_perplexity(targets, logits, pad):
    return float(np.log(masked_perplexity(targets, logits, pad)))


def _perplexity_naive_softmax(targets, logits, pad):
    targets, logits = np.asarray(targets), np.asarray(logits, dtype=float)
    keep = targets != pad
    z = logits[keep]
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    return float(np.exp(-np.mean(np.log(p[np.arange(keep.sum()), targets[keep]]))))


def _dpo_without_reference(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    return dpo_loss(policy_chosen, policy_rejected, 0.0, 0.0, beta)


def _dpo_naive_log_sigmoid(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    margin = beta * ((np.asarray(policy_chosen) - ref_chosen) - (np.asarray(policy_rejected) - ref_rejected))
    with np.errstate(over="ignore", divide="ignore"):
        return float(np.mean(-np.log(1.0 / (1.0 + np.exp(-margin)))))


REFERENCE = {"9.1": masked_perplexity, "9.2": distillation_gradient, "9.3": dpo_loss}

WRONG = {
    "9.1": {
        "padding averaged in": _perplexity_padding_averaged_in,
        "cross-entropy instead of perplexity": _cross_entropy_not_perplexity,
        "naive softmax overflows": _perplexity_naive_softmax,
    },
    "9.2": {
        "without the T^2 factor": lambda t, s, T: distillation_gradient(t, s, T) / T ** 2,
        "sign flipped": lambda t, s, T: -distillation_gradient(t, s, T),
        "summed over rows, not averaged": lambda t, s, T: len(np.asarray(t)) * distillation_gradient(t, s, T),
    },
    "9.3": {
        "reference model dropped": _dpo_without_reference,
        "beta dropped": lambda pc, pr, rc, rr, beta: dpo_loss(pc, pr, rc, rr, 1.0),
        "naive log(sigmoid)": _dpo_naive_log_sigmoid,
    },
}
