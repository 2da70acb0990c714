import math

import pytest

from vaedesk.gui.plotting.ranges import nice_step, steady_range


@pytest.mark.parametrize(("rough", "step"), [(0.7, 1.0), (1.0, 1.0), (1.3, 2.0), (3.0, 5.0), (7.0, 10.0),
                                             (0.013, 0.02), (240.0, 500.0)])
def test_nice_step_is_one_two_or_five_times_a_power_of_ten(rough, step):
    assert nice_step(rough) == pytest.approx(step)


def test_a_new_range_holds_the_data_with_round_ends():
    low, high = steady_range(None, 143.2, 201.7)
    assert low < 143.2 and high > 201.7
    step = nice_step((201.7 - 143.2) * 1.16 / 4)
    assert math.isclose(low / step, round(low / step)) and math.isclose(high / step, round(high / step))


def test_the_range_stays_while_the_data_fits_it_and_changes_rarely_for_a_falling_curve():
    shown = steady_range(None, 150.0, 550.0)
    assert steady_range(shown, 160.0, 540.0) == shown  # inside: kept
    assert steady_range(shown, shown[0] - 10, 550.0) != shown  # below it: a new range
    # A whole curve whose loss falls from 550 towards 140 as in a run: the range changes a
    # few times, not at each of the 500 reports.
    ranges, changes = None, 0
    for k in range(500):
        current = 140 + 410 * math.exp(-k / 60)
        new = steady_range(ranges, current, 550.0)
        changes += new != ranges
        ranges = new
        assert ranges[0] <= current and 550.0 <= ranges[1]
    assert changes <= 10


def test_a_range_far_wider_than_the_data_zooms_in():
    assert steady_range((0.0, 1000.0), 140.0, 150.0)[1] < 200


def test_flat_and_non_finite_data():
    low, high = steady_range(None, 5.0, 5.0)
    assert low < 5.0 < high
    assert steady_range((1.0, 2.0), float("nan"), 3.0) == (1.0, 2.0)
    assert steady_range(None, float("inf"), 3.0) == (0.0, 1.0)
