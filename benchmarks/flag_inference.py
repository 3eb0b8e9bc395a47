"""Flag inference measured where the truth is known (issue 16).

For every vessel with a valid MMSI (its MID gives the declared flag), the identity
history is built from the normal ingest (:func:`vessel_risk.ingest.read_ais`), the flag
is inferred with the MID hidden (:func:`vessel_risk.identity.flags.infer_flags` never
reads the MMSI) and compared with the MID's flag. Printed per file and source: vessels,
share of vessels covered, accuracy (inferred == MID flag). For the squid-jigger file,
also the count of ``150...`` MMSIs that get an inferred flag.

Vessel lists (optional, ``--lists``): by default the combined IUU list and GFW's reefer
list from ``../shared/data/vessels``, as a user might supply them; ``--no-lists`` runs
with the shipped reference tables only.

    .venv/bin/python benchmarks/flag_inference.py [--shared ../shared] [--no-lists]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from vessel_risk.identity.flags import infer_flags
from vessel_risk.identity.history import identity_history
from vessel_risk.identity.lists import load_vessel_list
from vessel_risk.identity.mmsi import flag_iso3
from vessel_risk.ingest import read_ais

FILES = [
    "ais/snapshots/noaa_marinecadastre_20230111.csv.gz",
    "ais/snapshots/decoded_global_20210701.csv.gz",
    "ais/nmea/tagblock_20211101.nm4",
    "ais/squid_jiggers_2020_2023.parquet",
]
LISTS = ["vessels/combined_iuu_list_2026-04.csv", "vessels/reefers.csv"]
FIELDS = ["shipname", "callsign", "imo", "shiptype", "destination"]


def history(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The identity history of one AIS file and all its MMSIs."""
    r = read_ais(path)
    parts = []
    for frame in (r.static, r.positions):
        cols = ["mmsi", "timestamp", *[c for c in FIELDS if c in frame.columns]]
        parts.append(frame[cols])
    reports = pd.concat(parts, ignore_index=True)
    return identity_history(reports), pd.Series(reports["mmsi"].dropna().unique())


def measure(name: str, hist: pd.DataFrame, mmsis: pd.Series, lists: pd.DataFrame | None):
    """Rows of the accuracy table for one file, and the inferred flags."""
    inferred = infer_flags(hist, vessel_lists=lists, mmsis=mmsis)
    inferred["declared"] = flag_iso3(inferred["mmsi"])
    known = inferred[inferred["declared"].notna()].copy()
    known["source_kind"] = known["flag_inferred_source"].str.split(" ").str[0]
    known.loc[known["source_kind"] == "none:", "source_kind"] = "none"
    known["correct"] = known["flag_inferred_iso3"] == known["declared"]
    known["disagreed"] = known["flag_inferred_source"].str.contains("disagrees", regex=False)
    n = len(known)
    rows = []
    for kind, g in known.groupby("source_kind"):
        inferred_here = kind != "none"
        rows.append(
            {
                "file": name,
                "source": kind,
                "vessels": len(g),
                "coverage_%": round(100 * len(g) / n, 1) if n else 0.0,
                "accuracy_%": round(100 * g["correct"].mean(), 1) if inferred_here else None,
                "with_disagreement": int(g["disagreed"].sum()) if inferred_here else None,
            }
        )
    got = known[known["source_kind"] != "none"]
    rows.append(
        {
            "file": name,
            "source": "ALL inferred",
            "vessels": len(got),
            "coverage_%": round(100 * len(got) / n, 1) if n else 0.0,
            "accuracy_%": round(100 * got["correct"].mean(), 1) if len(got) else None,
            "with_disagreement": int(got["disagreed"].sum()),
        }
    )
    return rows, inferred, known


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("--shared", type=Path, default=root.parent / "shared")
    ap.add_argument("--no-lists", action="store_true", help="shipped tables only")
    args = ap.parse_args()
    data = args.shared / "data"
    lists = None
    if not args.no_lists:
        lists = pd.concat([load_vessel_list(data / p) for p in LISTS], ignore_index=True)
    table, wrong = [], []
    for rel in FILES:
        hist, mmsis = history(data / rel)
        rows, inferred, known = measure(Path(rel).name, hist, mmsis, lists)
        table += rows
        bad = known[(known["source_kind"] != "none") & ~known["correct"]]
        wrong.append(bad.assign(file=Path(rel).name))
        print(f"{Path(rel).name}: {len(mmsis)} MMSIs, {len(known)} with a valid MID")
        if "squid" in rel:
            s150 = inferred[inferred["mmsi"].str.startswith("150")]
            got = s150[s150["flag_inferred_iso3"].notna()]
            flags = got["flag_inferred_iso3"].value_counts().to_dict()
            sources = got["flag_inferred_source"].str.split(" ").str[0].value_counts().to_dict()
            print(
                f"  150... MMSIs: {len(s150)}, with an inferred flag: {len(got)} ({flags}); "
                f"by source: {sources}"
            )
    out = pd.DataFrame(table).astype({"with_disagreement": "Int64"})
    print()
    print(out.to_string(index=False))
    wrong_all = pd.concat(wrong, ignore_index=True)
    if len(wrong_all):
        print("\nWrong inferences (inferred vs declared), by source:")
        print(
            wrong_all.groupby(["source_kind", "declared", "flag_inferred_iso3"])
            .size()
            .sort_values(ascending=False)
            .head(25)
            .to_string()
        )


if __name__ == "__main__":
    main()
