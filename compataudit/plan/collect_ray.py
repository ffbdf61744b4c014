"""``compataudit collect --ray ADDRESS -o DIR``: one snapshot or check report per Ray node.

Ray is an optional extra (``pip install 'compataudit[ray]'``), imported only here.
Each alive node gets one task, pinned there by a hard node-affinity strategy and
asking for *all* of the node's GPUs (``num_gpus`` = the node's ``GPU`` resource), so
Ray sets ``CUDA_VISIBLE_DEVICES`` to them: a task that asks for none sees none on
some Ray versions, and every GPU would look hidden. The task runs
``python -m compataudit snapshot`` (or ``check --format json ARGS``) with the
worker's interpreter - the stack Ray jobs run - in a subprocess with a timeout,
and returns its output; the driver writes one file per node. Nodes that share a
hostname get the node id in the file name, so no file overwrites another. A node
whose task failed, timed out or printed something other than JSON is listed and
skipped; the others are still written.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compataudit.errors import InputError
from compataudit.files import write_output


@dataclass(frozen=True)
class NodeResult:
    node_id: str
    hostname: str
    file: str | None = None  # where its document was written
    error: str | None = None  # why it was not


@dataclass
class CollectResult:
    nodes: list[NodeResult] = field(default_factory=list)

    @property
    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.error]

    def summary(self) -> str:
        written = len(self.nodes) - len(self.failed)
        lines = [f"{written} of {len(self.nodes)} alive nodes written, {len(self.failed)} failed"]
        lines += [f"  failed: {n.hostname} ({n.node_id[:12]}): {n.error}" for n in self.failed]
        return "\n".join(lines)


def node_command(check_args: Sequence[str] | None, *, redact: bool) -> list[str]:
    """The compataudit arguments each node runs: ``snapshot`` or ``check --format json ...``."""
    if check_args is None:
        return ["snapshot", *(["--redact"] if redact else [])]
    return ["check", "--format", "json", *(["--redact"] if redact else []), *check_args]


def run_on_node(args: list[str], timeout: float) -> dict[str, Any]:
    """Runs inside the Ray task: compataudit in a subprocess of the worker's Python."""
    import os
    import socket
    import subprocess
    import sys

    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "compataudit", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = -1, "", f"compataudit ran past {timeout:.0f} s"
    return {
        "hostname": socket.gethostname(),
        "returncode": rc,
        "stdout": out,
        "stderr": err,
        "visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "seconds": round(time.perf_counter() - started, 3),
    }


def collect(
    address: str | None,
    out: Path,
    check_args: Sequence[str] | None = None,
    *,
    redact: bool = False,
    timeout: float = 300.0,
) -> CollectResult:
    """Run on every alive node of the Ray cluster at ``address``; one file per node in ``out``."""
    try:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    except ImportError:
        raise InputError("collect --ray needs Ray: pip install 'compataudit[ray]'") from None
    if not out.is_dir():
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"-o {out}: {exc.strerror or exc}") from None
    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except Exception as exc:  # ray raises ConnectionError, RuntimeError, ValueError ...
        raise InputError(f"--ray {address}: cannot connect: {str(exc).splitlines()[0]}") from None
    try:
        return _collect(
            ray, NodeAffinitySchedulingStrategy, out, node_command(check_args, redact=redact), redact, timeout
        )
    finally:
        ray.shutdown()


def _collect(
    ray: Any, affinity: Any, out: Path, args: list[str], redact: bool, timeout: float
) -> CollectResult:
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    task = ray.remote(num_cpus=0, max_retries=0)(run_on_node)
    refs = []
    for n in nodes:
        gpus = float(n.get("Resources", {}).get("GPU", 0) or 0)
        strategy = affinity(node_id=n["NodeID"], soft=False)
        refs.append(task.options(scheduling_strategy=strategy, num_gpus=gpus).remote(args, timeout))
    ray.wait(refs, num_returns=len(refs), timeout=timeout + 30)
    hosts = Counter(n.get("NodeManagerHostname") for n in nodes)
    result = CollectResult()
    for index, (node, ref) in enumerate(zip(nodes, refs, strict=True)):
        node_id, host = str(node["NodeID"]), str(node.get("NodeManagerHostname") or "")
        try:
            answer = ray.get(ref, timeout=1)
        except Exception as exc:  # one bad node must not lose the others' files
            why = "timed out (busy GPUs?)" if type(exc).__name__ == "GetTimeoutError" else type(exc).__name__
            ray.cancel(ref, force=True)
            result.nodes.append(
                NodeResult(node_id, host, error=f"{why}: {str(exc).strip().splitlines()[-1:]}")
            )
            continue
        error = _answer_error(answer)
        if error:
            result.nodes.append(NodeResult(node_id, host, error=error))
            continue
        if redact:
            name = f"node-{index:04d}"
        elif host and hosts[host] == 1:
            name = host
        else:
            name = f"{host or 'node'}-{node_id[:12]}"
        path = out / f"{name}.json"
        write_output(answer["stdout"], str(path))  # atomic: `fleet DIR` never reads half a file
        result.nodes.append(NodeResult(node_id, host, file=str(path)))
    return result


def _answer_error(answer: Any) -> str | None:
    """Why a node's answer is not a document (None when it is one)."""
    if not isinstance(answer, dict):
        return "no answer"
    if answer.get("returncode") not in (0, 1):
        last = (answer.get("stderr") or "").strip().splitlines()[-1:] or ["no message"]
        return f"compataudit exited {answer.get('returncode')}: {last[0]}"
    try:
        json.loads(answer.get("stdout") or "")
    except json.JSONDecodeError:
        return "its output is not JSON"
    return None
