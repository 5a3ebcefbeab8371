"""The photo import benchmark keeps working (its figures are for the benchmark run)."""

from __future__ import annotations

from benchmarks import photo_import


def test_photo_import_scenario_runs_and_compares_with_pillow() -> None:
    result = photo_import.run(megapixels=0.5, repeats=1)
    assert result["needlelog_s"] > 0 and result["pillow_limit_s"] > 0
    assert result["ratio"] > 0 and result["ok"] == (result["ratio"] <= result["max_ratio"])
    assert result["pixels"].startswith("866x577")
