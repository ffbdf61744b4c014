"""The cluster examples in examples/cluster/ run as far as this machine allows.

Slurm: the sbatch script runs under bash with a stand-in ``srun`` (the only
piece that needs a cluster) that starts the script's command once per fake
node with srun's ``%N`` output pattern. Kubernetes: the manifest's command
lines use real CLI flags (and the YAML parses where PyYAML is installed). Ray:
the script runs against a fake ``ray`` module here, and against a real local
multi-node Ray cluster where ray is installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "cluster"
VENV_BIN = Path(sys.executable).parent

FAKE_SRUN = r'''#!{python}
"""srun stand-in: runs the command once per node in FAKE_NODES, %N -> node name; a node in
FAIL_NODES dies before writing anything (a node that crashed or never started)."""
import os, subprocess, sys
args = sys.argv[1:]
opts = {{}}
while args and args[0].startswith("--"):
    key, _, value = args.pop(0)[2:].partition("=")
    if key not in ("ntasks-per-node", "output", "error", "nodes", "kill-on-bad-exit"):
        sys.exit(f"fake srun: unsupported option --{{key}}")
    opts[key] = value
assert opts.get("ntasks-per-node") == "1", "one task per node expected"
assert opts.get("kill-on-bad-exit") == "0", "one failed node must not stop the others"
status = 0
for node in os.environ["FAKE_NODES"].split():
    if node in os.environ.get("FAIL_NODES", "").split():
        status = 1
        continue
    env = dict(os.environ, SLURMD_NODENAME=node)
    with open(opts["output"].replace("%N", node), "w") as out, \
         open(opts["error"].replace("%N", node), "w") as err:
        status = max(status, subprocess.call(args, stdout=out, stderr=err, env=env))
sys.exit(status)
'''


def cli_params() -> dict[str, set[str]]:
    """Every command of the real CLI and the option names it accepts."""
    from compataudit.cli.app import register_all_commands

    group: Any = typer.main.get_command(register_all_commands())
    return {name: {o for p in cmd.params for o in p.opts} for name, cmd in group.commands.items()}


def compataudit_calls(text: str) -> Iterator[list[str]]:
    """The argument lists of every ``compataudit ...`` call in a shell snippet."""
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        for part in re.split(r"&&|\|\||;", line.split("#", 1)[0]):
            words = shlex.split(part.replace("$(NODE_NAME)", "NODE"))
            for i, word in enumerate(words):
                # skip `pip install compataudit` and YAML values such as `name: compataudit`
                if word == "compataudit" and "install" not in words[:i] and words[i + 1 :]:
                    yield words[i + 1 :]


def assert_real_flags(calls: list[list[str]]) -> None:
    params = cli_params()
    for call in calls:
        command, *rest = call
        assert command in params, f"no such command: compataudit {command}"
        for word in rest:
            if word.startswith("-"):
                assert word.split("=")[0] in params[command], f"{command}: no option {word}"


def test_slurm_script_survives_a_failed_node(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text(FAKE_SRUN.format(python=sys.executable))
    srun.chmod(0o755)
    env = dict(
        os.environ,
        PATH=f"{bin_dir}:{VENV_BIN}:/usr/bin:/bin",
        FAKE_NODES="gpu001 gpu002 gpu003",
        FAIL_NODES="gpu002",
        SLURM_JOB_NODELIST="gpu[001-003]",
        SLURM_JOB_ID="77",
        REPORT_DIR="reports",
        COMPATAUDIT_ARGS="--no-smoke",
    )
    script = EXAMPLES / "slurm_snapshots.sbatch"
    done = subprocess.run(
        ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    reports = tmp_path / "reports"
    for node in ("gpu001", "gpu003"):  # the nodes after the failed one still ran
        data = json.loads((reports / f"{node}.json").read_text())  # pure JSON, stderr kept apart
        assert data["environment"]["python"]["version"] and "findings" in data
    fleet = json.loads((tmp_path / "fleet-77.json").read_text())
    assert fleet["nodes"] == 2 and fleet["missing"] == ["gpu002"] and fleet["corrupt"] == []
    assert done.returncode == 1, done.stderr  # a node sent nothing: the gate fails
    assert "Missing (expected, sent nothing): gpu002" in done.stdout
    assert "gpu002" in (tmp_path / "fleet-77.html").read_text()
    assert_real_flags(list(compataudit_calls(script.read_text())))


def k8s_docs(name: str) -> list[dict[str, Any]]:
    yaml = pytest.importorskip("yaml")
    return list(yaml.safe_load_all((EXAMPLES / name).read_text()))


K8S_FILES = ("k8s_fleet_daemonset.yaml", "k8s_gate_initcontainer.yaml", "k8s_npd_compataudit.yaml")


@pytest.mark.parametrize("name", K8S_FILES)
def test_k8s_manifests_validate_against_the_kubernetes_schemas(name: str) -> None:
    validator = pytest.importorskip("kubernetes_validate")
    for doc in k8s_docs(name):
        # strict: an unknown or misspelt field fails too; the schemas ship with the package
        validator.validate(doc, "1.33", strict=True)


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_k8s_daemonset_logs_to_stdout_from_a_prebuilt_image() -> None:
    (_, daemonset) = k8s_docs("k8s_fleet_daemonset.yaml")
    pod = daemonset["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    text = " ".join(container["args"])
    assert "pip install" not in text and "volumes" not in pod  # built once; no shared volume
    assert "--format json --quiet" in text and "--output" not in text  # the report goes to the log
    assert pod["hostNetwork"] is True  # reports carry the node's hostname, not the pod's
    assert container["resources"]["limits"]["nvidia.com/gpu"] >= 1
    assert_real_flags([text.split(";")[0].split()[1:]])
    dockerfile = (EXAMPLES / "Dockerfile").read_text()
    assert "pip install --no-cache-dir compataudit" in dockerfile
    assert (
        container["image"] in (EXAMPLES / "k8s_fleet_daemonset.yaml").read_text().split("docker build -t ")[1]
    )


def test_k8s_init_container_gates_with_the_baseline() -> None:
    (job,) = k8s_docs("k8s_gate_initcontainer.yaml")
    (gate, train) = containers(job)
    assert gate["command"][:2] == ["compataudit", "check"] and "--baseline" in gate["command"]
    assert_real_flags([gate["command"][1:]])
    mount = gate["volumeMounts"][0]["mountPath"]
    assert gate["command"][gate["command"].index("--baseline") + 1].startswith(mount + "/")
    assert gate["resources"]["limits"] == train["resources"]["limits"]  # sees the job's GPUs


def load_ray_example() -> types.ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location("ray_snapshots", EXAMPLES / "ray_snapshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeRay(types.ModuleType):
    """Enough of ray's API to run the collector's logic in-process. The real thing runs in
    tests/plan/test_collect_ray.py on a local multi-node cluster (loopback only)."""

    def __init__(self, nodes: list[dict[str, Any]], failing: set[str]) -> None:
        super().__init__("ray")
        self._nodes, self.failing = nodes, failing
        self.placed: list[tuple[str, bool, float]] = []
        strategies = types.ModuleType("ray.util.scheduling_strategies")

        class NodeAffinitySchedulingStrategy:
            def __init__(self, node_id: str, soft: bool) -> None:
                self.node_id, self.soft = node_id, soft

        strategies.NodeAffinitySchedulingStrategy = NodeAffinitySchedulingStrategy  # type: ignore[attr-defined]
        self.strategies = strategies
        self.util = types.ModuleType("ray.util")

    def init(self, address: str | None = None, **_: Any) -> None:
        self.address = address

    def shutdown(self) -> None:
        self.address = None

    def nodes(self) -> list[dict[str, Any]]:
        return self._nodes

    def wait(self, refs: list[Any], **_: Any) -> tuple[list[Any], list[Any]]:
        return refs, []

    def cancel(self, ref: Any, force: bool = False) -> None:
        pass

    def remote(self, **_: Any) -> Callable[[Callable[..., Any]], Any]:
        fake = self

        def wrap(fn: Callable[..., Any]) -> Any:
            class Task:
                def options(self, scheduling_strategy: Any, num_gpus: float = 0) -> Any:
                    node_id = scheduling_strategy.node_id
                    fake.placed.append((node_id, scheduling_strategy.soft, num_gpus))

                    class Bound:
                        def remote(self, *args: Any) -> Any:
                            if node_id in fake.failing:
                                return RuntimeError("node lost")
                            return fn(*args)

                    return Bound()

            return Task()

        return wrap

    def get(self, ref: Any, timeout: float | None = None) -> Any:
        if isinstance(ref, Exception):
            raise ref
        return ref


def install_fake_ray(
    monkeypatch: pytest.MonkeyPatch, nodes: list[dict[str, Any]], failing: set[str]
) -> FakeRay:
    fake = FakeRay(nodes, failing)
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setitem(sys.modules, "ray.util", fake.util)
    monkeypatch.setitem(sys.modules, "ray.util.scheduling_strategies", fake.strategies)
    return fake


FAKE_NODES = [
    {
        "NodeID": "a1" * 8,
        "Alive": True,
        "NodeManagerHostname": "gpu-a",
        "Resources": {"CPU": 8.0, "GPU": 4.0},
    },
    {"NodeID": "b2" * 8, "Alive": True, "NodeManagerHostname": "twin", "Resources": {"CPU": 8.0}},
    {"NodeID": "c3" * 8, "Alive": True, "NodeManagerHostname": "twin", "Resources": {"CPU": 8.0}},
    {"NodeID": "d4" * 8, "Alive": False, "NodeManagerHostname": "dead"},
    {"NodeID": "e5" * 8, "Alive": True, "NodeManagerHostname": "flaky", "Resources": {"GPU": 8.0}},
]


def test_ray_script_with_fake_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ray(monkeypatch, FAKE_NODES, failing={"e5" * 8})
    module = load_ray_example()
    status = module.main(["--out", str(tmp_path), "--address", "ray://head:10001"])
    assert status == 1  # the flaky node failed; the others were still written
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gpu-a.json",
        "twin-b2b2b2b2b2b2.json",
        "twin-c3c3c3c3c3c3.json",
    ]
    # pinned hard to each alive node, asking for all of that node's GPUs
    assert fake.placed == [
        ("a1" * 8, False, 4.0),
        ("b2" * 8, False, 0.0),
        ("c3" * 8, False, 0.0),
        ("e5" * 8, False, 8.0),
    ]
    from compataudit.plan.fleet import aggregate

    result = aggregate([str(tmp_path)])
    assert result.nodes == 3 and len(result.groups) == 1 and not result.corrupt
