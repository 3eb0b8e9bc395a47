"""A CSV without the AIS columns is a clear error of ``read_ais``.

It belongs in ``tests/ingest/`` beside the reader's module once the ingest package is
split (the module's name is not known yet); it moved here from ``test_events.py``.
"""

from __future__ import annotations

import pytest

from vessel_risk.ingest import read_ais


def test_read_ais_rejects_unknown_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="must include mmsi,timestamp,lat,lon"):
        read_ais(path)
