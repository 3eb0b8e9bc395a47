"""One settings object, read from the environment (prefix ``VESSEL_RISK_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "vessel-risk"
"""The name of the user data folder (``platformdirs``)."""


def user_data_dir() -> Path:
    """The user data folder of vessel-risk (``platformdirs.user_data_path``).

    Returns
    -------
    Path
        ``~/.local/share/vessel-risk`` on Linux (``$XDG_DATA_HOME/vessel-risk`` when set),
        ``~/Library/Application Support/vessel-risk`` on macOS,
        ``%LOCALAPPDATA%\\vessel-risk`` on Windows. Not created here.
    """
    from platformdirs import user_data_path

    return Path(user_data_path(APP_NAME, appauthor=False))


def default_mlflow_store() -> str:
    """The default model registry: the folder ``mlruns`` of :func:`user_data_dir`.

    A folder, not a ``sqlite:///`` URI: MLflow would put a SQLite store's artifacts
    under ``./mlruns`` of the working folder, while a folder keeps ``mlflow.db`` and
    ``artifacts/`` together (:func:`vessel_risk.model.registry.resolve_registry`), so a
    champion is found from any working folder.
    """
    return str(user_data_dir() / "mlruns")


class Settings(BaseSettings):
    """Run-time settings.

    Attributes
    ----------
    database_url : str or None
        SQLAlchemy URL for alerts (``VESSEL_RISK_DATABASE_URL``); default: a SQLite
        file ``vessel_risk.db`` in the run's output folder.
    mlflow_tracking_uri : str
        The model registry (``VESSEL_RISK_MLFLOW_TRACKING_URI``): an MLflow URI or a
        folder (SQLite ``mlflow.db`` with the artifacts beside it); default
        :func:`default_mlflow_store`, in the user data folder, so the champion is found
        from any working folder.
    fishing_model_dir : Path or None
        Folder of a fishing classifier of your own (``VESSEL_RISK_FISHING_MODEL_DIR``);
        None (default) uses the one shipped inside the package
        (:func:`vessel_risk.events.fishing.packaged_model_dir`).
    log_level : str
        Level of the logs (``VESSEL_RISK_LOG_LEVEL``: DEBUG, INFO, WARNING, ERROR;
        default WARNING, so commands print only their own output; the container sets
        INFO).
    log_format : {"auto", "text", "json"}
        How log records are written (``VESSEL_RISK_LOG_FORMAT``): human lines or JSON
        lines; ``auto`` writes human lines to a terminal, JSON lines otherwise (a server,
        a container) (:mod:`vessel_risk.logs`).
    run_dir : Path or None
        Output folder of a ``vessel-risk run`` (``VESSEL_RISK_RUN_DIR``) the API reads
        vessel tracks from (its ``positions.parquet``); the database holds events,
        not positions. When ``database_url`` is unset, the API uses the run's
        ``vessel_risk.db``.
    api_key_cache_s : float
        Seconds the API remembers an authenticated key (``VESSEL_RISK_API_KEY_CACHE_S``);
        a deactivated client keeps access in a running server at most this long.
    agency_directory : Path or None
        Agency directory TOML whose ``[[fleet]]`` tables give crew-origin countries for
        consular routing (``VESSEL_RISK_AGENCY_DIRECTORY``).
    validate_frames : bool
        Check every frame against its schema where it crosses a stage boundary
        (``VESSEL_RISK_VALIDATE_FRAMES``): a debug mode, on in the tests.
    ingest_max_decompressed_bytes, ingest_max_line_bytes : int or None
        Per-file limits of ingest (``VESSEL_RISK_INGEST_MAX_LINE_BYTES`` and so on):
        each the :class:`~vessel_risk.ingest.limits.IngestLimits` field of the same
        name without ``ingest_``; None keeps its default. Read together by
        :meth:`IngestLimits.from_settings <vessel_risk.ingest.limits.IngestLimits.from_settings>`.
    ingest_max_field_chars, ingest_max_rows : int or None
        The same, for field length and rows per file.
    secret_key : SecretStr or None
        Fernet key (32 url-safe base64 bytes, ``cryptography.fernet.Fernet.generate_key()``)
        encrypting agency secrets and crew personal data at rest
        (``VESSEL_RISK_SECRET_KEY``); None stores them unencrypted, with a warning
        from ``vessel-risk serve``. Several keys separated by commas rotate: the first
        encrypts, any decrypts.
    ui_session_ttl_s : float
        Seconds a dashboard session lasts (``VESSEL_RISK_UI_SESSION_TTL_S``; 8 hours).
    api_max_body_bytes : int
        The largest request body the API accepts (``VESSEL_RISK_API_MAX_BODY_BYTES``;
        1 MiB); larger ones get 413 before any parsing or authentication.
    dask_tls_ca, dask_tls_cert, dask_tls_key : Path or None
        PEM files for a ``tls://`` Dask scheduler address (``VESSEL_RISK_DASK_TLS_CA``,
        ``VESSEL_RISK_DASK_TLS_CERT``, ``VESSEL_RISK_DASK_TLS_KEY``): the certificate
        authority that signed the cluster's certificates, and this client's certificate
        and private key (:func:`vessel_risk.pipeline.engine.tls_security`).
    public_url : str
        The service's address as agencies reach it (``VESSEL_RISK_PUBLIC_URL``): the
        base of the unsubscribe link every subscription message carries.
    smtp_host : str or None
        SMTP server of subscription e-mails (``VESSEL_RISK_SMTP_HOST``); None: e-mail
        subscriptions are dead letters saying so (:mod:`vessel_risk.delivery.email`).
    smtp_port : int
        Its port (``VESSEL_RISK_SMTP_PORT``; 587, the submission port).
    smtp_from : str
        The sender address (``VESSEL_RISK_SMTP_FROM``).
    smtp_starttls : bool
        Upgrade the connection with STARTTLS before sending (``VESSEL_RISK_SMTP_STARTTLS``;
        on); a server that does not offer it is refused, never sent to in clear.
    smtp_username, smtp_password : str or None
        Login, when the server asks for one (``VESSEL_RISK_SMTP_USERNAME``,
        ``VESSEL_RISK_SMTP_PASSWORD``); sent only over STARTTLS.
    exchange_state : str or None
        This state, ISO 3166-1 alpha-3 (``VESSEL_RISK_EXCHANGE_STATE``): the state its
        exports of the regional exchange are signed by (:mod:`vessel_risk.referral.exchange`).
    exchange_signing_key : Path or None
        This state's Ed25519 signing key, a PEM file (``VESSEL_RISK_EXCHANGE_SIGNING_KEY``;
        ``vessel-risk exchange keygen`` makes one).
    exchange_trusted_keys : Path or None
        TOML file of the public keys of the states whose exports are accepted
        (``VESSEL_RISK_EXCHANGE_TRUSTED_KEYS``; :mod:`vessel_risk.referral.exchange_keys`).
    exchange_k : int
        Cells of exported figures resting on 1 to k-1 persons are suppressed
        (``VESSEL_RISK_EXCHANGE_K``; default 5: :mod:`vessel_risk.referral.disclosure`).
    monitoring_k : int
        The monitoring views (API, CSV, dashboard) suppress cells resting on 1 to k-1
        persons, and the cells that would give them away (``VESSEL_RISK_MONITORING_K``;
        default 5, as the exchange). 1 turns suppression off, for a coordinating body the
        state's law entitles to case-level counts.
    """

    model_config = SettingsConfigDict(env_prefix="VESSEL_RISK_")

    database_url: str | None = None
    mlflow_tracking_uri: str = Field(default_factory=default_mlflow_store)
    fishing_model_dir: Path | None = None
    run_dir: Path | None = None
    api_key_cache_s: float = 30.0
    agency_directory: Path | None = None
    validate_frames: bool = False
    ingest_max_decompressed_bytes: int | None = None
    ingest_max_line_bytes: int | None = None
    ingest_max_field_chars: int | None = None
    ingest_max_rows: int | None = None
    secret_key: SecretStr | None = None
    ui_session_ttl_s: float = 8 * 3600.0
    api_max_body_bytes: int = 1_048_576
    dask_tls_ca: Path | None = None
    dask_tls_cert: Path | None = None
    dask_tls_key: Path | None = None
    public_url: str = "http://localhost:8000"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str = "vessel-risk@localhost"
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    exchange_state: str | None = None
    exchange_signing_key: Path | None = None
    exchange_trusted_keys: Path | None = None
    exchange_k: int = Field(default=5, ge=2)
    monitoring_k: int = Field(default=5, ge=1)
    log_level: str = "WARNING"
    log_format: Literal["auto", "text", "json"] = "auto"
