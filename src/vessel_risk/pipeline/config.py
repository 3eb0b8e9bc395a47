"""One run configuration, built once by the CLI, the API or a notebook and checked once.

:class:`RunConfig` holds everything :func:`vessel_risk.pipeline.run` needs to know
about a run: where the AIS comes from, which reference lists to use, where outputs and
alerts go, how alerts are scored. It is frozen and validated when it is built, so an
entrypoint holds no checks of its own and a typo in a path fails before any work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vessel_risk.events.clean import ON_LAND_MARGIN_KM
from vessel_risk.events.fishing import packaged_model_dir
from vessel_risk.ingest import DEFAULT_LIMITS, IngestLimits, store_partitions
from vessel_risk.pipeline.engine import check_scheduler
from vessel_risk.settings import Settings, default_mlflow_store

Scorer = Literal["champion", "baseline"]

_REFERENCE_FILES = (
    "ports_path",
    "iuu_list_path",
    "carriers_path",
    "psma_parties_path",
    "eez_path",
    "agency_directory",
)
"""The fields of :class:`RunConfig` that name reference files, checked when it is built."""


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _check_type(name: str, value: object, kind: object, *, optional: bool = False) -> None:
    """A ValueError in scikit-learn's form unless ``value`` is of ``kind`` (bool is no number)."""
    if value is None and optional:
        return
    wrong_bool = isinstance(value, bool) and kind is not bool
    if wrong_bool or not isinstance(value, kind):  # type: ignore[arg-type]
        expected = getattr(kind, "__name__", str(kind)) + (" or None" if optional else "")
        raise ValueError(
            f"The {name!r} parameter of RunConfig must be {expected}. Got {value!r} instead."
        )


@dataclass(frozen=True)
class RunConfig:
    """What one run of the main job reads, writes and how it scores.

    Build it with keyword arguments; paths may be given as ``str``. Every check runs
    when it is built (``__post_init__``), in the order a person would fix them.
    ``RunConfig()`` (no output folder, no input) configures a frame-in run: the
    references and scoring of :func:`vessel_risk.pipeline.process_partition` on AIS
    already in memory; a whole run (:func:`vessel_risk.run`) needs ``out_dir`` and an
    input.

    Parameters
    ----------
    out_dir : Path, optional
        Folder for the outputs (created if missing); needed by a whole run.
    ais_paths : Path or sequence of Path, optional
        AIS files (Parquet, GeoParquet, CSV dialects, raw NMEA), read in chunks into a
        temporary position store inside ``out_dir``. Exactly one of ``ais_paths`` and
        ``position_store`` is given when ``out_dir`` is, neither in a frame-in
        configuration.
    position_store : Path, optional
        A position store written by ``vessel-risk ingest``
        (:func:`vessel_risk.ingest.write_store`), read instead of ``ais_paths``.
    partitions : int, optional
        Vessel partitions of the temporary position store made from ``ais_paths``;
        default one per 32 MiB of input. A ``position_store`` keeps its own.
    ports_path : Path, optional
        Port or anchorage list (CSV); default: the ports shipped with ``searoute``.
    iuu_list_path : Path, optional
        Combined IUU vessel list (CSV).
    carriers_path : Path, optional
        CSV with an ``mmsi`` column of carriers (reefers).
    psma_parties_path : Path, optional
        FAO list of PSMA parties (``iso3``, ``Entry_into_force_date``).
    eez_path : Path, optional
        EEZ polygons (any vector file geopandas reads, with a state column).
    on_land_margin_km : float or None, default 10
        Positions further inland on the 0.1° shore grid are quarantined as
        ``on_land``; None keeps them (``--inland-waters``: vessels on lakes, rivers).
    database_url : str, optional
        SQLAlchemy URL of the database the alerts go to; default: the SQLite file
        ``vessel_risk.db`` in ``out_dir`` (:attr:`resolved_database_url`).
    scorer : {"champion", "baseline"}, default "champion"
        Score with the model registry's champion when there is one (else the indicator
        baseline), or always with the indicator baseline.
    mlflow_tracking_uri : str, optional
        The model registry (MLflow) the champion is looked up in; default
        :func:`~vessel_risk.settings.default_mlflow_store` (the user data folder).
    fishing_model_dir : Path or None, optional
        Folder of the fishing classifier (``model.txt``, ``card.json``); default the
        classifier shipped inside the package
        (:func:`~vessel_risk.events.fishing.packaged_model_dir`). None (or a folder
        without a model) scores positions without GFW's ``nnet_score`` by the speed
        heuristic.
    agency_directory : Path, optional
        Agency directory TOML whose ``[[fleet]]`` tables give crew-origin countries
        for consular routing of automatic referrals.
    all_vessel_classes : bool, default False
        Score every vessel class. By default only fishing vessels (and vessels of
        unknown class), and the carriers and fishing-support vessels that meet other
        vessels at sea, go to the alert queue; other classes (cargo, tanker,
        passenger, fishing gear...) are counted in the report and left out
        (:func:`vessel_risk.identity.vessel_class.classify_vessels`).
    validate_frames : bool, default False
        Validate every frame against its schema where it crosses a stage boundary
        (debug mode; tests turn it on). Slower; outputs are unchanged.
    ingest_limits : IngestLimits, optional
        Per-file limits on decompressed size, line and field length and rows of the
        ``ais_paths`` (:mod:`vessel_risk.ingest.limits`); default
        :data:`~vessel_risk.ingest.limits.DEFAULT_LIMITS`.
    scheduler : str, default "sync"
        Where the partition tasks run (:class:`~vessel_risk.pipeline.engine.Engine`):
        ``"sync"`` in this process, ``"processes"`` on a local Dask cluster, or the
        address of a Dask scheduler (``tcp://host:8786``; ``tls://`` with the
        ``VESSEL_RISK_DASK_TLS_*`` certificates). A ``tcp://`` cluster must sit on a
        trusted network: Dask ships pickled code. The position store and ``out_dir``
        must be reachable at the same path by every worker.
    workers : int, optional
        Worker processes of ``scheduler="processes"``; default one per CPU core.

    Raises
    ------
    ValueError
        If both of ``ais_paths`` and ``position_store`` are given, neither with an
        ``out_dir`` or one without an ``out_dir``, if a
        path names a folder where a file is expected (or ``out_dir`` a file), if
        ``position_store`` is not a position store or holds ``out_dir``, or if a value
        is of the wrong type or out of range.
    FileNotFoundError
        If an input file does not exist.
    """

    # None only in a frame-in configuration, which no whole run accepts (vessel_risk.run
    # checks): typed Path for the code of whole runs.
    out_dir: Path = None  # type: ignore[assignment]
    ais_paths: tuple[Path, ...] = ()
    position_store: Path | None = None
    partitions: int | None = None
    ports_path: Path | None = None
    iuu_list_path: Path | None = None
    carriers_path: Path | None = None
    psma_parties_path: Path | None = None
    eez_path: Path | None = None
    on_land_margin_km: float | None = ON_LAND_MARGIN_KM
    database_url: str | None = None
    scorer: Scorer = "champion"
    mlflow_tracking_uri: str = field(default_factory=default_mlflow_store)
    fishing_model_dir: Path | None = field(default_factory=packaged_model_dir)
    agency_directory: Path | None = None
    all_vessel_classes: bool = False
    validate_frames: bool = False
    ingest_limits: IngestLimits = DEFAULT_LIMITS
    scheduler: str = "sync"
    workers: int | None = None

    def __post_init__(self) -> None:
        # Coerce first (frozen: through object.__setattr__), then check.
        put = object.__setattr__
        put(self, "out_dir", _path(self.out_dir))
        ais = self.ais_paths
        put(
            self,
            "ais_paths",
            (Path(ais),) if isinstance(ais, str | Path) else tuple(map(Path, ais)),
        )
        for name in ("position_store", "fishing_model_dir", *_REFERENCE_FILES):
            put(self, name, _path(getattr(self, name)))
        has_input = bool(self.ais_paths) or self.position_store is not None
        if self.out_dir is None and has_input:
            raise ValueError(
                "give the output folder (--out DIR, RunConfig(out_dir=...)) for a run of "
                "AIS files or a store."
            )
        if self.out_dir is not None and bool(self.ais_paths) == (self.position_store is not None):
            raise ValueError(
                "give the AIS as --ais FILE (repeatable) or as --store DIR, not both."
                if self.ais_paths
                else "give the AIS as --ais FILE (repeatable) or as --store DIR."
            )
        _check_type("partitions", self.partitions, int, optional=True)
        _check_type("on_land_margin_km", self.on_land_margin_km, int | float, optional=True)
        _check_type("mlflow_tracking_uri", self.mlflow_tracking_uri, str)
        _check_type("database_url", self.database_url, str, optional=True)
        _check_type("validate_frames", self.validate_frames, bool)
        _check_type("all_vessel_classes", self.all_vessel_classes, bool)
        _check_type("ingest_limits", self.ingest_limits, IngestLimits)
        check_scheduler(self.scheduler, self.workers)
        if self.partitions is not None and self.partitions < 1:
            raise ValueError(
                "The 'partitions' parameter of RunConfig must be a whole number of at least "
                f"1. Got {self.partitions!r} instead."
            )
        if self.on_land_margin_km is not None and not self.on_land_margin_km >= 0:
            raise ValueError(
                "The 'on_land_margin_km' parameter of RunConfig must be >= 0 km or None. "
                f"Got {self.on_land_margin_km!r} instead."
            )
        if self.scorer not in ("champion", "baseline"):
            raise ValueError(
                "The 'scorer' parameter of RunConfig must be 'champion' or 'baseline'. "
                f"Got {self.scorer!r} instead."
            )
        out = self.out_dir
        for folder in (out, *out.parents) if out is not None else ():
            if folder.exists():
                if not folder.is_dir():
                    raise ValueError(
                        f"{str(folder)!r} is a file, not a folder: --out names the folder "
                        "the outputs go to."
                    )
                break
        if self.position_store is not None and self.out_dir is not None:
            store_partitions(self.position_store)  # ValueError when it is no store
            store = self.position_store.resolve()
            if store == self.out_dir.resolve() or store in self.out_dir.resolve().parents:
                raise ValueError(
                    f"--out {str(self.out_dir)!r} lies in the position store "
                    f"{str(self.position_store)!r}: the run's outputs would overwrite it; "
                    "give another folder."
                )
        for path in self.input_files:
            if not path.exists():
                raise FileNotFoundError(f"the file {str(path)!r} does not exist.")
            if path.is_dir():
                raise ValueError(
                    f"{str(path.resolve())!r} is a folder, not a file"
                    + (" (a store goes to --store)." if path in self.ais_paths else ".")
                )

    @classmethod
    def from_settings(cls, settings: Settings, **values: object) -> RunConfig:
        """A configuration whose unset values come from :class:`~vessel_risk.settings.Settings`.

        Parameters
        ----------
        settings : Settings
            ``database_url``, ``mlflow_tracking_uri``, ``fishing_model_dir``,
            ``agency_directory``, ``validate_frames`` and ``ingest_limits`` are taken from
            it unless given in ``values``; an unset ``fishing_model_dir`` setting keeps the
            shipped classifier.
        **values
            Any field of :class:`RunConfig`.

        Returns
        -------
        RunConfig
        """
        for name in (
            "database_url",
            "mlflow_tracking_uri",
            "fishing_model_dir",
            "agency_directory",
            "validate_frames",
        ):
            if values.get(name) is None:
                values[name] = getattr(settings, name)
        if values["fishing_model_dir"] is None:
            values["fishing_model_dir"] = packaged_model_dir()
        if values.get("ingest_limits") is None:
            values["ingest_limits"] = IngestLimits.from_settings(settings)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def input_files(self) -> Sequence[Path]:
        """The AIS files and reference files given, in the order they are checked."""
        refs = (getattr(self, name) for name in _REFERENCE_FILES)
        return [*self.ais_paths, *(p for p in refs if p is not None)]

    @property
    def resolved_database_url(self) -> str:
        """``database_url``, else the SQLite file ``vessel_risk.db`` in ``out_dir``.

        Raises
        ------
        ValueError
            If neither is set (a frame-in configuration has no database).
        """
        if self.database_url:
            return self.database_url
        if self.out_dir is None:
            raise ValueError(
                "no database: a frame-in RunConfig has neither database_url nor out_dir."
            )
        return f"sqlite:///{(self.out_dir / 'vessel_risk.db').resolve()}"

    @property
    def inputs(self) -> list[str]:
        """What the run read, as recorded with the run in the database."""
        return [str(p) for p in self.ais_paths] or [str(self.position_store)]
