"""`vessel-risk exchange keygen|export|import|show`: the regional exchange from the
command line, between two SQLite databases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import cli_output
from tests.mechanism import build_mechanism
from vessel_risk.cli import app
from vessel_risk.db.engine import make_engine, migrate
from vessel_risk.db.tables import AuditEntry


def _fails(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def test_keygen_export_import_show(tmp_path, monkeypatch):
    monkeypatch.delenv("VESSEL_RISK_DATABASE_URL", raising=False)
    tha_db, idn_db = f"sqlite:///{tmp_path / 'tha.db'}", f"sqlite:///{tmp_path / 'idn.db'}"
    # each form into its own database: two exports made within one second are one export
    # (same content, same id), which a second import rightly refuses to count twice
    idn_parquet = f"sqlite:///{tmp_path / 'idn_parquet.db'}"
    for url in (tha_db, idn_db, idn_parquet):
        engine = make_engine(url)
        migrate(engine)
        if url == tha_db:
            build_mechanism(engine)
        engine.dispose()
    out = cli_output("exchange", "keygen", "--state", "tha", "--out-dir", str(tmp_path / "k"))
    key = tmp_path / "k" / "THA.exchange.key"
    public = (tmp_path / "k" / "THA.exchange.pub").read_text().strip()
    assert f'THA = ["{public}"]' in out
    assert "never overwritten" in _fails(
        "exchange", "keygen", "--state", "THA", "--out-dir", str(tmp_path / "k")
    )
    trusted = tmp_path / "trusted.toml"
    trusted.write_text(f'[states]\nTHA = ["{public}"]\n')

    for form in ("json", "parquet"):
        target = tmp_path / f"tha-2025.{form}"
        out = " ".join(cli_output(
            "exchange", "export", "--db", tha_db, "--state", "THA", "--key", str(key),
            "--from", "2025-01-01", "--to", "2025-12-31", "--format", form,
            "--out", str(target), "--as", "tha-iacat/coordinator",
        ).split())  # fmt: skip
        assert "Exported THA 2025-01-01 to 2025-12-31" in out
        assert "suppressed, k = 5), 4 alerts, 4 inspections" in out
        for attempt in range(2):  # the second import of the same export changes nothing
            into = idn_db if form == "json" else idn_parquet
            out = " ".join(cli_output(
                "exchange", "import", str(target), "--db", into, "--trusted-keys",
                str(trusted),
            ).split())  # fmt: skip
            if attempt == 0:
                assert "Imported THA's export" in out and "4 alerts, 4 inspections" in out
            else:
                assert "was already imported; nothing changed" in out
    out = cli_output("exchange", "show", "--db", idn_db)
    assert "THA" in out and "alerts_raised" in out
    line = next(x for x in out.splitlines() if "persons_presumed" in x)
    assert "suppressed" in line
    cells = cli_output("exchange", "show", "--db", idn_db, "--figure", "alerts_raised")
    assert "SONGKHLA" in cells and "BITUNG" in cells

    (tmp_path / "empty.toml").write_text("[states]\n")
    assert "No trusted key for THA" in _fails(
        "exchange", "import", str(tmp_path / "tha-2025.json"), "--db", idn_db,
        "--trusted-keys", str(tmp_path / "empty.toml"), "--as", "idn/coordinator",
    )  # fmt: skip
    engine = make_engine(idn_db)
    with Session(engine) as s:
        (refusal,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.refused"))
        assert (refusal.actor, refusal.after) == ("idn/coordinator", {"state": "THA"})
        assert "No trusted key for THA" in refusal.reason
    engine.dispose()
    assert "--format must be one of json, csv, parquet" in _fails(
        "exchange", "export", "--db", tha_db, "--state", "THA", "--key", str(key),
        "--from", "2025-01-01", "--to", "2025-12-31", "--format", "xml", "--out", "x",
    )  # fmt: skip
    assert "overlaps the export of 2025-01-01 to 2025-12-31" in _fails(
        "exchange", "export", "--db", tha_db, "--state", "THA", "--key", str(key),
        "--from", "2025-06-01", "--to", "2026-05-31", "--out", str(tmp_path / "x.json"),
    )  # fmt: skip
    assert "whole calendar months" in _fails(
        "exchange", "export", "--db", tha_db, "--state", "THA", "--key", str(key),
        "--from", "2026-01-01", "--to", "2026-01-30", "--out", str(tmp_path / "x.json"),
    )  # fmt: skip
    assert "pass --state and --key" in _fails(
        "exchange", "export", "--db", tha_db, "--from", "2025-01-01", "--to", "2025-12-31",
        "--out", "x",
    )  # fmt: skip
