"""Package-level promises: `import lossfns` needs NumPy only; the public API is complete."""
import subprocess
import sys

import pytest

import lossfns as lf

HEAVY = ["torch", "tensorflow", "keras", "matplotlib", "pandas", "sklearn", "scipy", "nbformat", "nbclient"]


def test_import_lossfns_imports_numpy_and_nothing_heavy():
    code = (
        "import sys, lossfns\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy)); assert 'numpy' in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import lossfns also imported: {out.stdout.strip()}"


def test_lazy_submodules_load_on_attribute_access():
    code = "import sys, lossfns; lossfns.exercises; print('lossfns.exercises' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    with pytest.raises(AttributeError, match="no attribute 'not_a_module'"):
        lf.not_a_module  # noqa: B018


def test_every_public_name_exists_and_every_registered_loss_is_exported():
    for name in lf.__all__:
        assert hasattr(lf, name), name
    for record in lf.registry.records():
        assert getattr(lf, record.name) is record.fn
        if record.grad is not None:
            assert getattr(lf, f"{record.name}_grad") is record.grad
