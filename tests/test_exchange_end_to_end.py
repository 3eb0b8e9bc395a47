"""The regional exchange (issue 18 part 2, "Done when"): the export of a small mechanism
validates against its JSON Schema, holds no cell under k and no suppressed cell an
attacker can recover from the published totals, and imports back into another (fresh
SQLite) database with the same published figures, in each of its three forms.

The mechanism is ``tests/mechanism.py``'s year (built with the real functions). The
exporting database runs on SQLite, and on PostgreSQL where
``VESSEL_RISK_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import jsonschema_rs
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.exchangekit import assert_no_cell_recoverable
from tests.mechanism import END, START, build_mechanism
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import AuditEntry, ExchangeImport
from vessel_risk.referral.exchange import (
    INDICATOR_COLUMNS,
    json_schema,
    read_export,
    table_records,
    write_export,
)
from vessel_risk.referral.exchange_keys import (
    TrustedKeys,
    generate_key,
    load_private_key,
    public_key_text,
)
from vessel_risk.referral.exchange_store import (
    export_mechanism,
    import_export,
    regional_figures,
    regional_summary,
)
from vessel_risk.referral.monitoring import FIGURES
from vessel_risk.referral.monitoring_load import monitoring_figures

K = 5


def test_a_mechanism_exported_protected_signed_and_imported_elsewhere(engine, tmp_path):
    build_mechanism(engine)
    key = load_private_key(generate_key("THA", tmp_path / "keys")[0])
    with Session(engine) as s, s.begin():
        doc = export_mechanism(
            s,
            state="THA",
            start=START.date(),
            end=(END - pd.Timedelta(days=1)).date(),
            key=key,
            k=K,
            actor="tha-iacat/coordinator",
            now=END,
        )
        truth = monitoring_figures(s, START, END, actor="test/truth", now=END)
        exported = s.scalar(select(func.count()).where(AuditEntry.action == "exchange.export"))
    assert exported == 1

    # the documented, versioned format
    jsonschema_rs.validator_for(json_schema()).validate(doc)
    assert {f["id"] for f in doc["figures"]} == set(FIGURES)

    # no published cell rests on 1 to k-1 persons
    cells = pd.DataFrame(doc["tables"]["indicators"], columns=list(INDICATOR_COLUMNS))
    shown = cells[~cells["suppressed"]]
    assert shown["persons"].map(lambda n: n == 0 or n >= K).all()
    small = truth[(truth["persons"] > 0) & (truth["persons"] < K)]
    assert len(small) > 0 and cells.loc[small.index, "suppressed"].all()
    # the cells are the true ones, in order, only hidden where suppressed
    assert table_records(truth, {c: INDICATOR_COLUMNS[c] for c in ("figure", "period")}) == [
        {"figure": r["figure"], "period": r["period"]} for r in doc["tables"]["indicators"]
    ]
    assert (shown["value"].astype(float) == truth.loc[shown.index, "value"].astype(float)).all()
    # ... and no suppressed cell is recoverable from the published totals: by subtraction
    # and by linear algebra on value and persons, by linear programming on persons (the
    # count of people; tests/referral/test_disclosure.py runs it on values too)
    attacked = assert_no_cell_recoverable(cells, truth, intervals=("persons",))
    assert attacked == int(cells["suppressed"].sum()) >= len(small)
    people = {"persons_screened": 5.0, "persons_presumed": 4.0}
    totals = shown[shown[["period", *INDICATOR_COLUMNS][2:8]].isna().all(axis=1)]
    published = dict(zip(totals["figure"], totals["value"], strict=True))
    assert published.get("persons_screened") == people["persons_screened"]
    assert "persons_presumed" not in published  # 4 persons: under k
    assert published["alerts_raised"] == 4.0  # vessel-level: rests on no person

    # vessel facts only
    assert len(doc["tables"]["alerts"]) == 4 and len(doc["tables"]["inspections"]) == 4
    assert "weather" not in str(doc) and "inspector-1" not in str(doc)

    # each form imports into a fresh SQLite database with the same published figures
    trusted = TrustedKeys.from_mapping({"THA": [public_key_text(key)]})
    for form in ("json", "csv", "parquet"):
        back = read_export(write_export(doc, tmp_path / f"tha-2025-{form}", form=form))
        regional = make_engine(f"sqlite:///{tmp_path / f'regional-{form}.db'}")
        migrate(regional)
        for _ in range(2):  # the second import changes nothing
            with Session(regional) as s, s.begin():
                import_export(s, back, trusted, actor="idn-coordinator", own_state="IDN")
        with Session(regional) as s:
            assert s.scalar(select(func.count()).select_from(ExchangeImport)) == 1
            rows = regional_figures(s)
            summary = regional_summary(s)
        regional.dispose()
        assert set(rows["source_state"]) == {"THA"}
        assert table_records(rows, INDICATOR_COLUMNS) == doc["tables"]["indicators"], form
        assert summary["figures"]["alerts_raised"] == {"THA": 4.0}
        assert summary["figures"]["persons_screened"] == {"THA": 5.0}
        assert summary["figures"]["persons_presumed"] == {"THA": None}  # suppressed
