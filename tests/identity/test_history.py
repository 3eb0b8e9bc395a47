"""Identity history: the names and call signs each MMSI broadcast, with first and last
sightings (vessel_risk.identity.history), on the real squid-jigger file."""

from __future__ import annotations

import pandas as pd

from tests.builders import SQUID, shared_file
from vessel_risk.identity.history import identity_history
from vessel_risk.ingest import IDENTITY_FIELDS, read_ais


def test_identity_history_of_shared_squid_jigger_mmsis():
    """GFW found one 150... MMSI with more than fifteen names; so do we."""
    r = read_ais(shared_file(*SQUID))
    cols = ["mmsi", "timestamp", *IDENTITY_FIELDS]
    history = identity_history(pd.concat([r.static[cols], r.positions[cols]]))
    names = history[history["field"] == "shipname"]
    per_mmsi = names.groupby("mmsi").size()
    assert per_mmsi["150000106"] == 25 and per_mmsi["150402944"] == 14
    first = names[names["mmsi"] == "150400453"].sort_values("first_seen").iloc[0]
    assert first["value"] == "LURONGYUANYU715"
    assert first["first_seen"] == pd.Timestamp("2020-12-20T08:49:00Z")
