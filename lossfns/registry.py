"""The registry: one record per loss, read by the atlas page and the parametrised tests.

Records are data. Each loss module registers its records next to the loss
itself, so adding a loss and describing it happen in the same place.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LossRecord:
    """What the course knows about one loss.

    ``formula`` is the per-sample loss in LaTeX with the course notation
    (:math:`y` target, :math:`\\hat y` prediction). ``torch`` and ``keras``
    are the exact calls that compute the same reduced value (``None`` when the
    framework has no equivalent). ``inputs`` names the kind of test data the
    loss accepts (``"real"``: two real arrays of the same shape).
    """

    name: str
    family: str
    task: str
    formula: str
    convex: bool
    differentiable: bool
    robust: bool
    fn: Callable
    grad: Callable | None
    inputs: str
    chapter: str
    reference: str
    torch: str | None = None
    keras: str | None = None
    params: dict = field(default_factory=dict)


_RECORDS: dict[str, LossRecord] = {}


def register(record: LossRecord) -> LossRecord:
    """Add ``record``; a second record with the same name is an error."""
    if record.name in _RECORDS:
        raise ValueError(f"registry: a loss named {record.name!r} is already registered")
    _RECORDS[record.name] = record
    return record


def get(name: str) -> LossRecord:
    """Return the record of the loss called ``name``."""
    try:
        return _RECORDS[name]
    except KeyError:
        known = ", ".join(sorted(_RECORDS))
        raise KeyError(f"registry: no loss named {name!r}; known losses: {known}") from None


def records() -> tuple[LossRecord, ...]:
    """All records, ordered by family and then by name."""
    return tuple(sorted(_RECORDS.values(), key=lambda r: (r.family, r.name)))


def names() -> tuple[str, ...]:
    """The registered loss names, in the order of :func:`records`."""
    return tuple(r.name for r in records())
