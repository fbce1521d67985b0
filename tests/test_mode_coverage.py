"""The mode-coverage metric of VEEGAN's Table 1 on hand-made samples."""

import numpy as np
import pytest

from tfhybrids.data import toy2d_modes, toy2d_std
from tfhybrids.evaluation.mode_coverage import mode_coverage, nearest_modes, summarize

RING = {"dataset": "ring"}
GRID = {"dataset": "grid"}


def test_samples_exactly_at_three_of_eight_modes():
    modes = toy2d_modes(RING)
    samples = np.repeat(modes[[0, 3, 5]], [10, 1, 4], axis=0)
    result = mode_coverage(samples, modes, toy2d_std(RING))
    assert result["modes_captured"] == 3 and result["num_modes"] == 8
    assert result["high_quality_percent"] == 100.0 and result["high_quality"] == 15
    assert result["samples_per_mode"] == [10, 0, 0, 1, 0, 4, 0, 0]


def test_far_away_samples_are_neither_high_quality_nor_capture_modes():
    modes = toy2d_modes(GRID)
    # Halfway between grid modes: 1 unit from the nearest, far beyond 3 * 0.05.
    samples = np.array([[1.0, 0.0], [-3.0, 3.0], [10.0, 10.0], [0.0, 0.0 + 0.151]])
    result = mode_coverage(samples, modes, toy2d_std(GRID))
    assert result["modes_captured"] == 0 and result["high_quality"] == 0
    assert result["high_quality_percent"] == 0.0


def test_boundary_is_inclusive():
    modes = np.array([[0.0, 0.0], [4.0, 0.0]])
    std = 0.25  # 3 std = 0.75, exactly representable
    on = np.array([[0.75, 0.0], [4.0, -0.75]])
    just_out = np.array([[np.nextafter(0.75, 1.0), 0.0]])
    assert mode_coverage(on, modes, std)["high_quality"] == 2
    assert mode_coverage(on, modes, std)["modes_captured"] == 2
    assert mode_coverage(just_out, modes, std)["high_quality"] == 0
    # num_std moves the boundary.
    assert mode_coverage(on, modes, std, num_std=2.9)["high_quality"] == 0


def test_mixed_samples_and_the_percentage():
    modes = toy2d_modes(RING)
    std = toy2d_std(RING)
    near = modes[:4] + np.array([0.02, 0.0])       # within 0.03 of modes 0..3
    loose = modes[4:6] + np.array([0.0, 0.05])     # too far from modes 4, 5
    result = mode_coverage(np.concatenate([near, loose]), modes, std)
    assert result["modes_captured"] == 4
    assert result["high_quality_percent"] == pytest.approx(100.0 * 4 / 6)


def test_all_25_grid_modes():
    modes = toy2d_modes(GRID)
    rng = np.random.default_rng(0)
    samples = modes[rng.integers(25, size=2500)] + 0.05 * rng.standard_normal((2500, 2))
    result = mode_coverage(samples, modes, toy2d_std(GRID))
    assert result["modes_captured"] == 25
    # A 2-D Gaussian puts 1 - exp(-9/2) = 98.9% of its mass within 3 std of its centre.
    assert result["high_quality_percent"] == pytest.approx(98.9, abs=0.7)


def test_nearest_modes_and_bad_shapes():
    nearest, squared = nearest_modes([[0.9, 0.1]], [[0.0, 0.0], [1.0, 0.0]])
    assert nearest.tolist() == [1]
    np.testing.assert_allclose(squared, [0.02])
    with pytest.raises(ValueError, match="samples \\[n, d\\]"):
        mode_coverage(np.zeros((3, 3)), np.zeros((2, 2)), 0.1)
    with pytest.raises(ValueError, match="positive"):
        mode_coverage(np.zeros((3, 2)), np.zeros((2, 2)), 0.0)


def test_empty_samples_and_summary():
    empty = mode_coverage(np.zeros((0, 2)), toy2d_modes(RING), 0.01)
    assert empty["modes_captured"] == 0 and empty["high_quality_percent"] == 0.0
    summary = summarize([{"modes_captured": 8, "high_quality_percent": 50.0},
                         {"modes_captured": 6, "high_quality_percent": 70.0}])
    assert summary["modes_captured"] == (7.0, 1.0)
    assert summary["high_quality_percent"] == (60.0, 10.0)


def test_the_samples_a_mode_needs_is_a_parameter_defaulting_to_the_papers_one():
    modes = toy2d_modes(RING)
    samples = np.repeat(modes[[0, 3, 5]], [20, 1, 19], axis=0)
    default = mode_coverage(samples, modes, toy2d_std(RING))
    # VEEGAN and PacGAN: one high-quality sample captures a mode.
    assert default["modes_captured"] == 3 and default["min_samples_per_mode"] == 1
    strict = mode_coverage(samples, modes, toy2d_std(RING), min_samples_per_mode=20)
    assert strict["modes_captured"] == 1 and strict["min_samples_per_mode"] == 20
    # The share of high-quality samples does not depend on the rule.
    assert strict["high_quality"] == default["high_quality"] == 40
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="min_samples_per_mode"):
            mode_coverage(samples, modes, 0.01, min_samples_per_mode=bad)
