"""Line charts of distances over time (vessel_risk.api.charts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vessel_risk.api.charts import MAX_BUCKETS, nice_step, time_chart


def test_nice_steps_are_1_2_5_times_a_power_of_ten():
    assert [nice_step(s) for s in (410, 820, 7, 0.3, 1e6)] == [100, 200, 2, 0.1, 200_000]
    assert nice_step(0) == 1.0 and nice_step(float("nan")) == 1.0


def test_a_line_breaks_at_a_silence_over_12_hours_and_the_axis_starts_at_zero():
    times = pd.Series(
        pd.to_datetime(
            ["2022-10-01T00:00Z", "2022-10-01T06:00Z", "2022-10-01T12:00Z"]
            + ["2022-10-03T00:00Z", "2022-10-03T06:00Z", "2022-10-05T00:00Z"],
            utc=True,
        )
    )
    c = time_chart(times, [10, 20, 30, 400, 410, np.nan], title="Distance from shore")
    assert c is not None
    assert len(c.lines) == 2 and c.dots == []  # the NaN position is left out
    assert [label for _, label in c.y_ticks] == ["0", "100", "200", "300", "400", "500"]
    first = [tuple(map(float, p.split(","))) for p in c.lines[0].split()]
    assert first[0] == (c.left, c.bottom - (c.bottom - c.top) * 10 / 500)
    assert (
        c.lines[1].split()[-1] == f"{c.right:.1f},{c.bottom - (c.bottom - c.top) * 410 / 500:.1f}"
    )
    assert [label for _, label in c.x_ticks] == ["01 Oct", "02 Oct", "03 Oct"]
    assert c.summary == (
        "Distance from shore from 2022-10-01 to 2022-10-03 (UTC), 5 positions: median 30 km, "
        "highest 410 km; 1 break(s) where AIS was silent over 12 h."
    )


def test_a_long_track_is_reduced_keeping_its_highest_point_and_a_lone_position_is_a_dot():
    times = pd.Series(pd.date_range("2021-01-01", periods=20_000, freq="10min", tz="UTC"))
    values = np.full(20_000, 100.0)
    values[12_345] = 2500.0
    c = time_chart(times, values, title="Distance from port")
    assert c is not None and len(c.lines) == 1
    ys = [float(p.split(",")[1]) for p in c.lines[0].split()]
    assert len(ys) <= 2 * MAX_BUCKETS and min(ys) == c.top  # 2500 is the axis top
    lone = time_chart(times[:1], [5.0], title="x")
    assert lone is not None and lone.lines == [] and len(lone.dots) == 1
    assert time_chart(times[:3], [np.nan] * 3, title="x") is None


def test_month_chart_bars_and_summary():
    from datetime import date

    from vessel_risk.api.charts import month_chart

    months = [date(2025, m, 1) for m in (1, 2, 3, 4)]
    c = month_chart(months, [3.0, 0.0, None, 1.0], title="Persons screened", unit="persons")
    assert c is not None
    assert [(b[4], b[5]) for b in c.bars] == [
        ("Jan 2025", "3"),
        ("Feb 2025", "0"),
        ("Apr 2025", "1"),
    ]
    assert c.bars[1][3] == 0.0  # a zero month is a bar of no height
    assert c.summary == (
        "Persons screened by month from Jan 2025 to Apr 2025: 2 month(s) above 0, "
        "highest 3 persons, total 4 persons."
    )
    assert month_chart(months, [None] * 4, title="x", unit="days") is None
