"""The GitHub Actions wiring: action.yml and the example workflows are valid and call what exists."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from speedhints.bot.cli import review

ROOT = Path(__file__).resolve().parents[1]


def load(path: Path) -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_composite_action_runs_speedhints_review_with_its_inputs() -> None:
    action = load(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    used = set()
    for step in steps:
        assert "uses" in step or step.get("shell") == "bash"
        for value in [*step.get("env", {}).values(), *step.get("with", {}).values(), step.get("if", "")]:
            used |= {
                part.split("}}")[0].strip()[len("inputs.") :]
                for part in str(value).split("${{")[1:]
                if part.strip().startswith("inputs.")
            }
            if str(value).startswith("inputs."):
                used.add(str(value).split()[0][len("inputs.") :])
    assert used == set(action["inputs"])  # every input is used, and nothing undeclared is
    assert steps[-1]["run"].strip() == "speedhints review"
    # the env names the step sets are the ones the CLI reads
    params = {p.name: p for p in review.params}
    envvars = {
        "top_k": "SPEEDHINTS_TOP_K",
        "max_comments": "SPEEDHINTS_MAX_COMMENTS",
        "verify_command": "SPEEDHINTS_VERIFY_COMMAND",
        "bench_command": "SPEEDHINTS_VERIFY_BENCH",
        "verify_timeout": "SPEEDHINTS_VERIFY_TIMEOUT",
        "verify_budget": "SPEEDHINTS_VERIFY_BUDGET",
    }
    assert {name: params[name].envvar for name in envvars} == envvars
    assert set(steps[-1]["env"]) == {"GITHUB_TOKEN", "SPEEDHINTS_BUNDLE", *envvars.values()}


@pytest.mark.parametrize("name", ["speedhints.yml", "speedhints-gpu.yml", "speedhints-verify.yml"])
def test_example_workflows_trigger_on_pull_requests_with_write_permission(name: str) -> None:
    wf = load(ROOT / "examples" / "workflows" / name)
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key "on" as True
    assert on["pull_request"]["types"] == ["opened", "synchronize", "reopened"]
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert all(any("speedhints" in s.get("uses", "") for s in job["steps"]) for job in wf["jobs"].values())


def test_gpu_workflow_keeps_forks_off_the_self_hosted_runner() -> None:
    jobs = load(ROOT / "examples" / "workflows" / "speedhints-gpu.yml")["jobs"]
    assert "self-hosted" in jobs["review-gpu"]["runs-on"] and jobs["review-gpu"]["steps"][0]["with"]["gpu"] == "true"
    assert "==" in jobs["review-gpu"]["if"] and "!=" in jobs["review-cpu"]["if"]
    assert jobs["review-cpu"]["runs-on"] == "ubuntu-latest"


def test_env_inputs_reach_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEEDHINTS_TOP_K", "0")  # out of range: rejected as usage, like a bad flag
    result = CliRunner().invoke(review, ["--repo", "a/b", "--pr", "1"])
    assert result.exit_code == 2
    assert "Invalid value for '--top-k': 0 is not in the range 1<=x<=64." in result.output


def test_verify_workflow_checks_out_the_head_and_runs_in_the_projects_python() -> None:
    steps = load(ROOT / "examples" / "workflows" / "speedhints-verify.yml")["jobs"]["review"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"  # the hints' line numbers
    action = steps[-1]["with"]
    assert set(action) <= set(load(ROOT / "action.yml")["inputs"])  # only inputs that exist
    assert action["python-version"] == "" and action["verify-command"] == "pytest -q -x"
