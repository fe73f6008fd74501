"""Same seed, byte-identical files; another seed, different data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pbc.synth import SynthConfig, write

SMALL = dict(population=600, seed=11, start="2007-04", end="2008-03", localities=("dacorum",))


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_bytes(tmp_path: Path, fmt: str) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, fmt=fmt, config=SynthConfig(**SMALL))
    write(b, fmt=fmt, config=SynthConfig(**SMALL))
    da, db = _digests(a), _digests(b)
    assert da == db
    assert {"hes_apc.csv", "invoices.csv", f"patients.{fmt}", f"faults.{fmt}"} <= set(da)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    write(tmp_path / "a", config=SynthConfig(**SMALL))
    write(tmp_path / "b", config=SynthConfig(**{**SMALL, "seed": 12}))
    a, b = tmp_path / "a" / "hes_apc.csv", tmp_path / "b" / "hes_apc.csv"
    assert a.read_bytes() != b.read_bytes()


def test_refuses_when_disk_is_too_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    real = shutil.disk_usage

    def tiny(path: object) -> object:
        u = real(path)
        return type(u)(u.total, u.used, 1000)

    monkeypatch.setattr(shutil, "disk_usage", tiny)
    with pytest.raises(OSError, match="not enough free disk"):
        write(tmp_path / "x", config=SynthConfig(**SMALL))
    assert not any((tmp_path / "x").iterdir())
