"""``vessel-risk exchange export|import|keygen|show``: the regional exchange (issue 18).

A state's mechanism exports its monitoring figures (small cells suppressed) and its
vessel-level intelligence, signed with its key; another state imports the export after
checking the signature against its trusted keys, into a regional view tagged by source
(:mod:`vessel_risk.referral.exchange`, :mod:`vessel_risk.referral.exchange_store`).
Heavy imports stay inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vessel_risk.cli.database import Actor, Db
from vessel_risk.cli.terminal import console, parse_day
from vessel_risk.cli.terminal import fail as _fail

FORMS = ("json", "csv", "parquet")


def exchange_keygen(
    state: Annotated[
        str | None,
        typer.Option("--state", help="This state, ISO3 (default VESSEL_RISK_EXCHANGE_STATE)."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", help="Folder of the key files (default the user data folder)."),
    ] = None,
) -> None:
    """Make this state's signing key (Ed25519) and print the public key to give others."""
    from vessel_risk.referral.exchange import ExchangeError
    from vessel_risk.referral.exchange_keys import generate_key
    from vessel_risk.settings import Settings, user_data_dir

    settings = Settings()
    state = state or settings.exchange_state
    if not state:
        raise _fail("Name this state: --state THA, or set VESSEL_RISK_EXCHANGE_STATE.")
    try:
        private, public = generate_key(state, out_dir or user_data_dir() / "exchange")
    except ExchangeError as exc:
        raise _fail(str(exc)) from exc
    text = public.read_text("ascii").strip()
    console.print(f"Signing key: {private} (keep it secret; VESSEL_RISK_EXCHANGE_SIGNING_KEY)")
    console.print(f"Public key:  {public}")
    console.print(
        "Other states add this line under [states] in their trusted-keys file:", markup=False
    )
    console.print(f'{state.upper()} = ["{text}"]', markup=False, highlight=False)


def exchange_export(
    out: Annotated[Path, typer.Option("--out", help="File (json) or folder (csv, parquet).")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC), included.")],
    form: Annotated[str, typer.Option("--format", help="json, csv or parquet.")] = "json",
    k: Annotated[
        int | None,
        typer.Option(
            "--k", help="Suppress cells of 1 to k-1 persons (default VESSEL_RISK_EXCHANGE_K)."
        ),
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="This state (default VESSEL_RISK_EXCHANGE_STATE).")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="Signing key (default VESSEL_RISK_EXCHANGE_SIGNING_KEY)."),
    ] = None,
    tier: Annotated[
        list[str] | None, typer.Option("--tier", help="Only alerts of this tier; repeat.")
    ] = None,
    recipient: Annotated[
        str,
        typer.Option("--recipient", help="Who the export is for (default: the regional exchange)."),
    ] = "regional",
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Export the mechanism's figures (small cells suppressed) and vessel facts, signed.

    The period is whole calendar months; a period overlapping an earlier export to the
    same recipient is refused unless it is the same period (a re-send).
    """
    from vessel_risk.cli.database import default_actor, open_session
    from vessel_risk.referral.exchange import write_export
    from vessel_risk.referral.exchange_keys import load_private_key
    from vessel_risk.referral.exchange_periods import ExchangePeriodError, check_whole_months
    from vessel_risk.referral.exchange_store import export_mechanism
    from vessel_risk.settings import Settings

    if form not in FORMS:
        raise _fail(f"--format must be one of {', '.join(FORMS)}. Got {form!r} instead.")
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if last < first:
        raise _fail(f"--to ({last}) is before --from ({first}).")
    try:
        check_whole_months(first, last)
    except ExchangePeriodError as exc:
        raise _fail(str(exc)) from exc
    settings = Settings()
    state = state or settings.exchange_state
    key_path = key or settings.exchange_signing_key
    if not state or not key_path:
        raise _fail(
            "An export is signed by this state: pass --state and --key (or set "
            "VESSEL_RISK_EXCHANGE_STATE and VESSEL_RISK_EXCHANGE_SIGNING_KEY; "
            "`vessel-risk exchange keygen` makes a key)."
        )
    threshold = k if k is not None else settings.exchange_k
    if threshold < 2:
        raise _fail(f"--k must be at least 2. Got {threshold} instead.")
    with open_session(db) as s:
        signing_key = load_private_key(key_path)
        try:
            doc = export_mechanism(
                s,
                state=state,
                start=first,
                end=last,
                key=signing_key,
                k=threshold,
                tiers=tier,
                actor=actor or default_actor(),
                recipient=recipient,
            )
        except ExchangePeriodError as exc:
            raise _fail(str(exc)) from exc
        written = write_export(doc, out, form=form)
    tables = doc["tables"]
    hidden = sum(1 for r in tables["indicators"] if r["suppressed"])
    console.print(
        f"Exported {doc['state']} {doc['period_start']} to {doc['period_end']} ({form}) to "
        f"{written}: {len(tables['indicators'])} indicator cells ({hidden} suppressed, k = "
        f"{threshold}), {len(tables['alerts'])} alerts, {len(tables['inspections'])} "
        f"inspections. Signed with key {doc['signature']['key_id']}."
    )


def exchange_import(
    path: Annotated[Path, typer.Argument(help="An export: a JSON file or a csv/parquet folder.")],
    trusted: Annotated[
        Path | None,
        typer.Option(
            "--trusted-keys", help="Trusted keys TOML (default VESSEL_RISK_EXCHANGE_TRUSTED_KEYS)."
        ),
    ] = None,
    db: Db = None,
    actor: Actor = "",
) -> None:
    """Check another state's export against the trusted keys and merge it (idempotent)."""
    from vessel_risk.cli.database import default_actor, open_session
    from vessel_risk.referral.exchange import ExchangeError, read_export
    from vessel_risk.referral.exchange_keys import TrustedKeys
    from vessel_risk.referral.exchange_store import import_export, record_refusal
    from vessel_risk.settings import Settings

    settings = Settings()
    trusted_path = trusted or settings.exchange_trusted_keys
    if trusted_path is None:
        raise _fail(
            "Imports are checked against trusted keys: pass --trusted-keys or set "
            "VESSEL_RISK_EXCHANGE_TRUSTED_KEYS."
        )
    try:
        keys = TrustedKeys.load(trusted_path)
        doc = read_export(path)
    except ExchangeError as exc:
        raise _fail(str(exc)) from exc
    who = actor or default_actor()
    refused: str | None = None
    with open_session(db) as s:
        try:
            result = import_export(s, doc, keys, actor=who, own_state=settings.exchange_state)
        except ExchangeError as exc:  # nothing was written: the refusal alone is recorded
            refused = str(exc)
            record_refusal(s, doc, refused, actor=who)
    if refused is not None:
        raise _fail(refused)
    rows = ", ".join(f"{n} {name}" for name, n in result.rows.items())
    if result.imported:
        console.print(f"Imported {result.state}'s export {result.export_id[:16]}: {rows}.")
    else:
        console.print(
            f"{result.state}'s export {result.export_id[:16]} was already imported; "
            "nothing changed."
        )


def exchange_show(
    figure: Annotated[
        str | None, typer.Option("--figure", help="One figure's cells by source.")
    ] = None,
    db: Db = None,
) -> None:
    """The regional view: each source state's latest export, figures side by side."""
    from rich.table import Table

    from vessel_risk.cli.database import open_session
    from vessel_risk.referral.exchange_store import regional_figures, regional_summary

    with open_session(db) as s:
        summary = regional_summary(s)
        cells = regional_figures(s, figure=figure) if figure else None
    sources = Table("source", "export", "made (UTC)", "period", "k", "alerts", "inspections")
    for src in summary["sources"]:
        sources.add_row(
            src["state"],
            src["export_id"][:16],
            src["created_at"][:16],
            f"{src['period_start']} to {src['period_end']}",
            str(src["k"]),
            str(src["rows"]["alerts"]),
            str(src["rows"]["inspections"]),
        )
    console.print(sources)
    if not summary["sources"]:
        console.print("No export imported yet: vessel-risk exchange import PATH.")
        return
    states = [src["state"] for src in summary["sources"]]
    if cells is None:
        table = Table("figure (whole period)", *states)
        for fid, by_state in summary["figures"].items():
            table.add_row(fid, *(_value(by_state[st]) if st in by_state else "" for st in states))
    else:
        dims = ["period", "state", "port", "flag", "nationality", "gender", "age_group"]
        table = Table("source", *dims, "value", "persons")
        for row in cells.to_dict("records"):
            table.add_row(
                row["source_state"],
                *("" if row[d] is None else str(row[d]) for d in dims),
                "suppressed" if row["suppressed"] else _value(row["value"]),
                "" if row["persons"] is None else str(row["persons"]),
            )
    console.print(table)
    console.print("Suppressed: fewer than k persons, or needed to protect such a cell.")


def _value(v: float | None) -> str:
    if v is None:
        return "suppressed"
    return f"{v:g}"
