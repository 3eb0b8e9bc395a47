"""The container files (issue 20, item 4): ``api/Dockerfile`` and ``api/compose.yaml``.

``docker compose config`` (or Debian's ``docker-compose config``, which ``.ci/run``
installs) validates the compose file, skipped, saying why, where neither is present; the
plain checks below run everywhere: the three services, health checks wired into
``depends_on``, no secret written into the file, a slim base image and a non-root user.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.builders import ROOT

API = ROOT / "api"
ENV = {"POSTGRES_PASSWORD": "test-only-password", "VESSEL_RISK_SECRET_KEY": "x" * 43 + "="}


def _compose() -> dict:
    return yaml.safe_load((API / "compose.yaml").read_text(encoding="utf-8"))


def _compose_command() -> list[str] | str:
    """The command that validates a compose file here (Docker's compose plugin, else
    Debian's ``docker-compose``, which ``.ci/run`` installs), or why none can run."""
    if shutil.which("docker") is not None:
        done = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if done.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose") is not None:
        return ["docker-compose"]
    return "neither Docker's compose plugin nor docker-compose is installed"


def test_docker_compose_config_accepts_the_file():
    compose = _compose_command()
    if isinstance(compose, str):
        pytest.skip(f"{compose}: the plain checks of the compose file still ran")
    command = [*compose, "-f", str(API / "compose.yaml"), "config"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **ENV})
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {"db", "api", "worker"}
    password = ENV["POSTGRES_PASSWORD"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == password
    assert f":{password}@db:5432/" in services["api"]["environment"]["VESSEL_RISK_DATABASE_URL"]
    # Without the secrets, compose refuses rather than start with empty ones.
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    missing = subprocess.run(command, capture_output=True, text=True, env=env)
    assert missing.returncode != 0
    assert "POSTGRES_PASSWORD" in missing.stderr


def test_compose_runs_api_worker_and_postgres_with_health_checks_wired():
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"db", "api", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    for name in services:
        check = services[name]["healthcheck"]["test"]
        assert check[0] in ("CMD", "CMD-SHELL") and len(check) > 1
    assert "pg_isready" in services["db"]["healthcheck"]["test"][1]
    assert "/health/ready" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["api"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert services["api"]["command"][:2] == ["vessel-risk", "serve"]
    assert services["worker"]["command"][:2] == ["vessel-risk", "deliver"]
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["VESSEL_RISK_LOG_FORMAT"] == "json"
        assert env["VESSEL_RISK_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert services[name]["build"]["dockerfile"] == "api/Dockerfile"
    # The API listens on loopback of the host only; a proxy adds TLS in front.
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]


def test_no_secret_is_written_into_the_compose_file():
    text = (API / "compose.yaml").read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.search(r"(PASSWORD|SECRET_KEY):", line) and not line.lstrip().startswith("#"):
            assert "${" in line and ":?" in line, line


def test_the_image_is_slim_and_runs_as_a_non_root_user():
    text = (API / "Dockerfile").read_text(encoding="utf-8")
    lines = [
        " ".join(line.split())
        for line in re.sub(r"\\\n(\s*#.*\n)*", " ", text).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    bases = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert bases and all(b.endswith("-slim") for b in bases)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    final = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    assert any(line.startswith("USER ") for line in lines[final:])
    assert any(line.startswith("HEALTHCHECK ") and "/health/ready" in line for line in lines)
    assert lines[-1].startswith("CMD ") and "vessel-risk" in lines[-1]
