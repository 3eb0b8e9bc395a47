"""The regional exchange in the database: an export made from the database, imported into
another one (idempotently, tagged by source), refused when tampered or from an unknown
signer, and the regional view by source. SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.apikit import seed
from tests.exchangekit import FIGURE_DEFINITIONS, additive_table, trusted_file
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import (
    AlertRow,
    AuditEntry,
    ExchangeAlert,
    ExchangeImport,
    ExchangeIndicator,
    ExchangeInspection,
)
from vessel_risk.referral.exchange import (
    INDICATOR_COLUMNS,
    ExchangeError,
    SignatureError,
    table_records,
)
from vessel_risk.referral.exchange_keys import (
    TrustedKeys,
    UnknownSigner,
    generate_key,
    load_private_key,
)
from vessel_risk.referral.exchange_periods import ExchangePeriodError, earlier_exports
from vessel_risk.referral.exchange_store import (
    build_export,
    import_export,
    regional_figures,
    regional_summary,
)

COUNTS = {("CHL", "IDN"): 14, ("CHL", "PHL"): 2, ("KOR", "IDN"): 6, ("KOR", "PHL"): 7}


def figures():
    people = additive_table(COUNTS, ("state", "nationality"), "persons_screened")
    boardings = additive_table({("CHL",): 1, ("KOR",): 1}, ("state",), "boardings", persons=False)
    return pd.concat([people, boardings], ignore_index=True)


@pytest.fixture
def exporter(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'chl.db'}")
    migrate(engine)
    with Session(engine) as s, s.begin():
        seed(s)
    key_path, pub = generate_key("CHL", tmp_path / "keys")
    yield engine, load_private_key(key_path), pub.read_text().strip()
    engine.dispose()


def export(engine, key, **kw):
    args = dict(
        state="CHL",
        start=date(2022, 1, 1),
        end=date(2022, 12, 31),
        figures=figures(),
        definitions=FIGURE_DEFINITIONS,
        key=key,
        actor="chl-coordinator",
        created_at=datetime(2023, 1, 5, tzinfo=UTC),
    )
    args.update(kw)
    with Session(engine) as s, s.begin():
        return build_export(s, **args)


def test_an_export_from_the_database_imports_into_another_once(exporter, engine):
    source, key, public = exporter
    doc = export(source, key)
    assert [a["mmsi"] for a in doc["tables"]["alerts"]] == [
        "412000001",
        "412000002",
        "440000003",
        "725000004",
        "412000005",
    ]
    assert len(doc["tables"]["inspections"]) == 2
    shown = [r for r in doc["tables"]["indicators"] if not r["suppressed"]]
    assert all(r["persons"] == 0 or r["persons"] >= 5 for r in shown)
    with Session(source) as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.export"))
        assert entry.after["rows"] == {"indicators": 12, "alerts": 5, "inspections": 2}

    trusted = TrustedKeys.from_mapping({"CHL": [public]})
    for attempt in range(2):
        with Session(engine) as s, s.begin():
            result = import_export(s, doc, trusted, actor="kor-coordinator")
        assert result.imported is (attempt == 0)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ExchangeImport)) == 1
        assert s.scalar(select(func.count()).select_from(ExchangeIndicator)) == 12
        assert s.scalar(select(func.count()).select_from(ExchangeAlert)) == 5
        assert s.scalar(select(func.count()).select_from(ExchangeInspection)) == 2
        assert set(s.scalars(select(ExchangeAlert.source_state))) == {"CHL"}
        regional = regional_figures(s)
        summary = regional_summary(s)
        imports = s.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.import"))
        assert len(list(imports)) == 1
    assert table_records(regional, INDICATOR_COLUMNS) == doc["tables"]["indicators"]
    assert summary["figures"] == {"boardings": {"CHL": 2.0}, "persons_screened": {"CHL": 29.0}}
    assert summary["alerts"] == {"CHL": {"high": 2, "medium": 2, "low": 1}}
    assert summary["inspections"] == {"CHL": {"confirmed": 2}}
    assert [src["state"] for src in summary["sources"]] == ["CHL"]


def test_refused_exports_write_nothing(exporter, engine, tmp_path):
    source, key, public = exporter
    doc = export(source, key)
    tampered = copy.deepcopy(doc)
    tampered["tables"]["alerts"][0]["tier"] = "low"
    other_key, other_pub = generate_key("KOR", tmp_path / "kor")
    trusted = TrustedKeys.load(
        trusted_file(tmp_path, {"CHL": [public], "KOR": [other_pub.read_text().strip()]})
    )
    with Session(engine) as s:
        with pytest.raises(SignatureError):
            import_export(s, tampered, trusted, actor="kor")
        with pytest.raises(UnknownSigner):
            import_export(s, doc, TrustedKeys.from_mapping({}), actor="kor")
        with pytest.raises(ExchangeError, match="own"):
            import_export(s, doc, trusted, actor="chl", own_state="chl")
        s.rollback()
        assert s.scalar(select(func.count()).select_from(ExchangeImport)) == 0


def test_the_regional_view_shows_each_source_at_its_latest_export(exporter, engine, tmp_path):
    source, key, public = exporter
    first = export(source, key)
    later = export(  # the next year: a re-send of 2022 with other figures is refused
        source,
        key,
        start=date(2023, 1, 1),
        end=date(2023, 12, 31),
        created_at=datetime(2024, 1, 5, tzinfo=UTC),
        figures=figures().assign(
            value=lambda f: f["value"] * 2, persons=lambda f: f["persons"] * 2
        ),
    )
    kor_key, kor_pub = generate_key("KOR", tmp_path / "kor")
    kor = export(source, load_private_key(kor_key), state="KOR")
    trusted = TrustedKeys.from_mapping({"CHL": [public], "KOR": [kor_pub.read_text().strip()]})
    with Session(engine) as s, s.begin():
        for doc in (later, first, kor):
            import_export(s, doc, trusted, actor="regional")
    with Session(engine) as s:
        summary = regional_summary(s)
        assert [x["state"] for x in summary["sources"]] == ["CHL", "KOR"]
        assert summary["sources"][0]["created_at"].startswith("2024-01-05")
        assert summary["figures"]["persons_screened"] == {"CHL": 58.0, "KOR": 29.0}
        assert set(regional_figures(s, figure="boardings")["source_state"]) == {"CHL", "KOR"}


def test_tips_in_the_queue_stay_out_of_the_export(exporter):
    """A hotline's tip in the queue (its own unscored item): the export still fits the
    format, and carries the model's alerts only."""
    from vessel_risk.referral.tips import TipReport, submit_tip

    source, key, _ = exporter
    with Session(source) as s, s.begin():
        report = TipReport(source="hotline", subject="vessel", imo="9999999", urgent=True)
        now = datetime(2022, 6, 1, tzinfo=UTC)
        tip = submit_tip(s, report, actor="ph-hotline/desk", agency_id="ph-hotline", now=now)
        assert s.get(AlertRow, tip.alert_id).year == 2022  # in the exported window
    doc = export(source, key)
    assert len(doc["tables"]["alerts"]) == 5
    assert {a["mmsi"] for a in doc["tables"]["alerts"]} >= {"412000001", "725000004"}


def test_an_overlapping_export_is_refused_and_a_re_send_is_recorded(exporter):
    """Fixed periods: January-March 2022, then the same months again (a re-send), then
    April-June (adjacent); January-April overlaps and is refused, writing nothing; another
    recipient is not compared."""
    source, key, _ = exporter
    export(source, key, start=date(2022, 1, 1), end=date(2022, 3, 31))
    again = export(source, key, start=date(2022, 1, 1), end=date(2022, 3, 31))
    export(source, key, start=date(2022, 4, 1), end=date(2022, 6, 30))
    with pytest.raises(
        ExchangePeriodError, match="overlaps the export of 2022-01-01 to 2022-03-31"
    ):
        export(source, key, start=date(2022, 1, 1), end=date(2022, 4, 30))
    with pytest.raises(
        ExchangePeriodError, match="overlaps the export of 2022-04-01 to 2022-06-30"
    ):
        export(source, key, start=date(2022, 6, 1), end=date(2022, 12, 31))
    with pytest.raises(ExchangePeriodError, match="whole calendar months"):
        export(source, key, start=date(2022, 7, 1), end=date(2022, 7, 30))
    export(source, key, start=date(2022, 1, 1), end=date(2022, 4, 30), recipient="kor-nrm")
    assert again["period_start"] == "2022-01-01" and again["period_end"] == "2022-03-31"
    with Session(source) as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "exchange.export").order_by(AuditEntry.id)
        ).all()
        assert [(e.after["period"], e.after["recipient"], e.after["resend"]) for e in entries] == [
            (["2022-01-01", "2022-03-31"], "regional", False),
            (["2022-01-01", "2022-03-31"], "regional", True),
            (["2022-04-01", "2022-06-30"], "regional", False),
            (["2022-01-01", "2022-04-30"], "kor-nrm", False),
        ]
        assert [(e.start, e.end) for e in earlier_exports(s, state="chl")] == [
            (date(2022, 1, 1), date(2022, 3, 31)),
            (date(2022, 1, 1), date(2022, 3, 31)),
            (date(2022, 4, 1), date(2022, 6, 30)),
        ]


def test_a_re_send_must_carry_the_same_figures(exporter):
    """A re-send of a period with other figures (one person more, or a smaller k) could
    be differenced with the first export to reveal what disclosure control withheld, so
    it is refused, writing nothing; an identical re-send is allowed."""
    source, key, _ = exporter
    jan_mar = dict(start=date(2022, 1, 1), end=date(2022, 3, 31))
    export(source, key, **jan_mar)
    one_more = additive_table(
        {**COUNTS, ("CHL", "PHL"): 3}, ("state", "nationality"), "persons_screened"
    )
    boardings = additive_table({("CHL",): 1, ("KOR",): 1}, ("state",), "boardings", persons=False)
    revised = pd.concat([one_more, boardings], ignore_index=True)
    with pytest.raises(ExchangePeriodError, match="other figures"):
        export(source, key, figures=revised, **jan_mar)
    with pytest.raises(ExchangePeriodError, match="other figures"):
        export(source, key, k=2, **jan_mar)
    export(source, key, created_at=datetime(2024, 1, 5, tzinfo=UTC), **jan_mar)
    with Session(source) as s:
        assert [
            e.after["resend"]
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.export"))
        ] == [False, True]


def test_a_recipient_is_one_whatever_its_case(exporter):
    """ "REGIONAL" is the regional exchange: an overlapping export to it is refused."""
    source, key, _ = exporter
    export(source, key, start=date(2022, 1, 1), end=date(2022, 3, 31))
    with pytest.raises(ExchangePeriodError, match="overlaps the export of 2022-01-01"):
        export(source, key, start=date(2022, 1, 1), end=date(2022, 4, 30), recipient="REGIONAL")
    export(source, key, start=date(2022, 4, 1), end=date(2022, 4, 30), recipient="KOR-nrm")
    with pytest.raises(ExchangePeriodError, match="overlaps the export of 2022-04-01"):
        export(source, key, start=date(2022, 4, 1), end=date(2022, 5, 31), recipient="kor-NRM")
