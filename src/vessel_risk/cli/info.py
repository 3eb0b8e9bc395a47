"""``vessel-risk info``: every path and setting in effect, and where each comes from.

What a person checks first when two machines (or two folders) give different results:
the version, the model registry and whether it has a champion, the fishing classifier,
the database a run writes to, the reference tables and the logging. Secrets are never
printed, only whether they are set; a password in a URL is redacted
(:func:`vessel_risk.logs.redact`).
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from vessel_risk.cli.terminal import console
from vessel_risk.settings import Settings

SECRET_FIELDS = frozenset({"secret_key", "smtp_password"})
"""Settings printed as set / not set, never their value."""


def _source(name: str) -> str:
    env = f"VESSEL_RISK_{name.upper()}"
    return env if env in os.environ else "default"


def collect(settings: Settings | None = None, *, champion: bool = True) -> dict[str, Any]:
    """Every path and setting in effect, as plain values (what ``info`` prints).

    Parameters
    ----------
    settings : Settings, optional
        Default: read from the environment now.
    champion : bool, default True
        Ask the model registry which version is champion (opens the registry: MLflow).

    Returns
    -------
    dict
        ``version``; ``settings`` (name -> ``{"value", "source"}``, source the
        environment variable or ``default``; secrets as ``set``/``not set``);
        ``model_registry`` (``setting``, ``tracking_uri``, ``artifact_location``,
        ``champion``: a version, or None when it has none); ``fishing_classifier``
        (``folder``, ``shipped`` with the package or not, ``model``: its version from the
        card, or None when the folder has no model: the speed heuristic);
        ``database``; ``reference_tables``; ``user_data_dir``.
    """
    import vessel_risk
    from vessel_risk.events.fishing import CARD_FILE, MODEL_FILE, packaged_model_dir
    from vessel_risk.identity.reference import reference_dir
    from vessel_risk.logs import redact
    from vessel_risk.settings import user_data_dir

    s = settings or Settings()
    values: dict[str, dict[str, Any]] = {}
    for name in type(s).model_fields:
        value = getattr(s, name)
        if name in SECRET_FIELDS:
            value = "set" if value is not None else "not set"
        values[name] = {
            "value": None if value is None else redact(str(value)),
            "source": _source(name),
        }
    folder = s.fishing_model_dir or packaged_model_dir()
    card_path = folder / CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    fishing = {
        "folder": str(folder.resolve()),
        "shipped": s.fishing_model_dir is None,
        "model": card.get("version", "unnamed") if (folder / MODEL_FILE).exists() else None,
    }
    registry: dict[str, Any] = {"setting": s.mlflow_tracking_uri}
    from vessel_risk.model.registry import CHAMPION, aliases, resolve_registry

    where = resolve_registry(s.mlflow_tracking_uri, create=False)
    registry["tracking_uri"] = where.tracking_uri if where else None
    registry["artifact_location"] = where.artifact_location if where else None
    if champion:
        registry["champion"] = aliases(s.mlflow_tracking_uri).get(CHAMPION) if where else None
    return {
        "version": vessel_risk.__version__,
        "settings": values,
        "model_registry": registry,
        "fishing_classifier": fishing,
        "database": redact(s.database_url or "each run's OUT/vessel_risk.db (sqlite)"),
        "reference_tables": str(reference_dir()),
        "user_data_dir": str(user_data_dir()),
    }


def info(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Every path and setting in effect: version, model registry, classifier, database."""
    found = collect()
    if as_json:
        console.print_json(json.dumps(found))
        return
    reg = found["model_registry"]
    fishing = found["fishing_classifier"]
    console.print(f"vessel-risk {found['version']}")
    console.print(f"model registry: {reg['setting']}")
    if reg["tracking_uri"] is None:
        console.print("  nothing registered yet (the folder does not exist)")
    else:
        console.print(f"  tracking URI: {reg['tracking_uri']}")
        if reg["artifact_location"]:
            console.print(f"  artifacts: {reg['artifact_location']}")
        champ = reg.get("champion")
        console.print(f"  champion: version {champ}" if champ else "  champion: none")
    model = fishing["model"] or "none: fishing scored by the speed heuristic"
    shipped = "shipped with the package" if fishing["shipped"] else "VESSEL_RISK_FISHING_MODEL_DIR"
    console.print(f"fishing classifier: {fishing['folder']} ({shipped}; model {model})")
    console.print(f"database: {found['database']}")
    console.print(f"reference tables: {found['reference_tables']}")
    console.print(f"user data folder: {found['user_data_dir']}")
    console.print("settings (VESSEL_RISK_*):")
    for name, v in found["settings"].items():
        console.print(f"  {name} = {v['value']} ({v['source']})")
