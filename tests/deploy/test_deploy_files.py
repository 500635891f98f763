"""The shared deployment's files say what the project's own instance says, and are valid as such."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def load(path: str) -> dict:
    return yaml.safe_load((REPO / path).read_text(encoding="utf-8"))


def test_the_deployment_queues_pools_and_monitors_runs_as_the_project_does():
    project, deployed = load("dagster.yaml"), load("deploy/dagster.yaml")
    for section in ("concurrency", "run_coordinator", "run_monitoring"):
        assert deployed[section] == project[section], section
    assert set(deployed["storage"]) == {"postgres"}


def test_the_helm_values_carry_the_same_limits():
    runs = load("dagster.yaml")["concurrency"]
    values = load("deploy/helm/values.yaml")
    assert values["concurrency"]["pools"]["defaultLimit"] == runs["pools"]["default_limit"]
    assert values["concurrency"]["runs"]["maxConcurrentRuns"] == runs["runs"]["max_concurrent_runs"]
    assert values["concurrency"]["runs"]["tagConcurrencyLimits"] == runs["runs"]["tag_concurrency_limits"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False


def test_the_deployment_instance_config_is_valid_for_this_dagster(tmp_path, monkeypatch):
    from dagster._core.instance.config import dagster_instance_config

    (tmp_path / "dagster.yaml").write_bytes((REPO / "deploy" / "dagster.yaml").read_bytes())
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"


def test_the_dockerfile_serves_the_code_location_the_workspace_names():
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    port = load("deploy/workspace.yaml")["load_from"][0]["grpc_server"]["port"]
    assert f'"-p", "{port}"' in dockerfile and "orchestration.definitions" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile and "orchestration.dbt_prepare" in dockerfile
