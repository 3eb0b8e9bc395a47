"""Per-message distance from shore and from port against Global Fishing Watch's columns.

Issue 7's bar: Pearson ≥ 0.99 and a median absolute difference ≤ 2 km. The positions
are ours after cleaning (as ``positions.parquet`` holds them), joined back to the
file's GFW columns on MMSI, time and place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import SQUID, shared_file
from vessel_risk.events.clean import clean_positions
from vessel_risk.geo.ports import PortIndex, read_ports
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.ingest import read_ais

DANUBE = ("data", "ais", "danube_vessel_2024_10days.parquet")
ANCHORAGES = ("data", "ports", "gfw_named_anchorages.csv.gz")
GFW_COLUMNS = ["distance_from_shore_m", "distance_from_port_m"]


def _ours_beside_gfw(parts: tuple[str, ...], *, inland_waters: bool) -> pd.DataFrame:
    """Cleaned positions with our distances (km) and GFW's (``gfw_shore``, ``gfw_port``)."""
    path = shared_file(*parts)
    cleaned = clean_positions(
        read_ais(path).positions,
        distance_from_shore=ShoreDistance(),
        on_land_margin_km=None if inland_waters else 10.0,
    ).positions
    ports = PortIndex(read_ports(shared_file(*ANCHORAGES)))
    cleaned["port_km"] = ports.nearest(cleaned["lat"], cleaned["lon"]).distance_km
    raw = pd.read_parquet(path, columns=["mmsi", "timestamp", "lat", "lon"] + GFW_COLUMNS)
    raw["mmsi"] = raw["mmsi"].astype("int64").astype(str).str.zfill(9)
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True).astype("datetime64[ns, UTC]")
    raw = raw.drop_duplicates(["mmsi", "timestamp", "lat", "lon"])
    both = cleaned.merge(raw, on=["mmsi", "timestamp", "lat", "lon"], validate="one_to_one")
    both = both.dropna(subset=["distance_from_shore_km", *GFW_COLUMNS])
    return both.assign(
        gfw_shore=both["distance_from_shore_m"] / 1000, gfw_port=both["distance_from_port_m"] / 1000
    )


def _mad(a: pd.Series, b: pd.Series) -> float:
    return float(np.median(np.abs(a.to_numpy() - b.to_numpy())))


@pytest.fixture(scope="module")
def squid() -> pd.DataFrame:
    return _ours_beside_gfw(SQUID, inland_waters=False)


def test_distance_from_shore_meets_the_bar_on_the_squid_fleet(squid):
    assert len(squid) > 55_000
    assert np.corrcoef(squid["distance_from_shore_km"], squid["gfw_shore"])[0, 1] >= 0.99
    assert _mad(squid["distance_from_shore_km"], squid["gfw_shore"]) <= 2.0


def test_distance_from_shore_is_zero_on_inland_waters_as_gfw_has_it():
    # A river barge at Vienna: GFW's raster says 0 km from shore for every message;
    # the grid puts the Danube ~350 km inland, and the run keeps it only with
    # --inland-waters, at 0 km.
    danube = _ours_beside_gfw(DANUBE, inland_waters=True)
    assert len(danube) > 4_000
    assert (danube["gfw_shore"] == 0).all()
    assert (danube["distance_from_shore_km"] == 0).all()


def test_distance_from_port_agrees_near_ports_and_ranks_alike_offshore(squid):
    # Within 50 km of a port, where port visits and encounters use the distance,
    # the named anchorages reproduce GFW's port raster to well under the bar.
    near = squid[squid["gfw_port"] < 50]
    assert len(near) > 15_000
    assert _mad(near["port_km"], near["gfw_port"]) <= 1.0
    # Far offshore GFW's raster knows ports missing from the 60,410 named
    # anchorages (Camarones, Argentina; Taiohae, Marquesas), so the overall median
    # difference is tens of km (44 measured): short of the bar, documented in
    # docs/features.md. Order is kept: Pearson 0.978.
    assert np.corrcoef(squid["port_km"], squid["gfw_port"])[0, 1] >= 0.97
    assert 30.0 <= _mad(squid["port_km"], squid["gfw_port"]) <= 50.0
