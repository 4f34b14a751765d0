"""Package-level promises: `import lossfns` needs NumPy only; the public API is complete."""
import pathlib
import shutil
import subprocess
import sys
import zipfile

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


def test_the_wheel_colab_installs_carries_every_module(tmp_path):
    """Colab installs a built wheel, not the working copy: a subpackage left out breaks it there only."""
    root = pathlib.Path(__file__).resolve().parents[1]
    src = tmp_path / "src"  # build from a copy so no build/ or egg-info lands in the repository
    shutil.copytree(root / "lossfns", src / "lossfns", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(root / name, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q"]
    cmd += ["-w", str(tmp_path)]
    subprocess.run(cmd, check=True, capture_output=True)
    (wheel,) = tmp_path.glob("lossfns-*.whl")
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    expected = {p.relative_to(root).as_posix() for p in (root / "lossfns").rglob("*.py")}
    assert expected - shipped == set()
