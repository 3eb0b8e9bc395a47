"""Leave-one-vessel-out F1 of the fishing classifier against GFW's nnet_score > 0.5.

Usage: python benchmarks/eval_fishing.py [--ais PATH]

Runs the cleaning and distance stages on the squid-jigger file, then holds out each
of the three vessels that carry GFW's score (150402951, 150402944, 412334074) in
turn. Prints F1 per vessel and the mean. A random split of positions scores near 1
and means nothing; this is the honest number.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from vessel_risk.events.clean import clean_positions
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.ingest import read_ais
from vessel_risk.model.fishing_training import leave_one_vessel_out

ROOT = Path(__file__).resolve().parents[1]
VESSELS = ["150402951", "150402944", "412334074"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ais", type=Path, default=ROOT.parent / "shared/data/ais/squid_jiggers_2020_2023.parquet"
    )
    args = parser.parse_args()
    if not args.ais.exists():
        raise SystemExit(f"{args.ais} is absent: this evaluation needs the squid-jigger file")
    t0 = time.perf_counter()
    positions = clean_positions(
        read_ais(args.ais).positions, distance_from_shore=ShoreDistance()
    ).positions
    scores = leave_one_vessel_out(positions, VESSELS)
    scores["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(scores, indent=2))


if __name__ == "__main__":
    main()
