"""A single-node Slurm (slurmctld + slurmd, munge) in a temporary directory, for tests.

Everything - the munge key and socket, slurm.conf, state, spool, logs - lives under
one directory; the daemons run as root on 127.0.0.1 (inside ``unshare -n`` with only
``lo`` up) and are stopped, by their own process ids, when the context ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SLURM_CONF = """\
ClusterName=compataudit
SlurmctldHost={host}(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket={root}/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
CommunicationParameters=NoInAddrAny
{prolog}
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def loopback_only() -> bool:
    """True inside a network namespace whose only interface is ``lo`` (/proc/net/dev is
    per namespace; /sys/class/net shows the host's unless sysfs is remounted)."""
    try:
        lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    except OSError:
        return False
    return [line.split(":", 1)[0].strip() for line in lines] == ["lo"]


LO_EXTRA = "10.254.254.1"


def available() -> str | None:
    """Why a local Slurm cannot start here; None when it can."""
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch", "srun", "sinfo") if not shutil.which(b)]
    if missing:
        return f"not installed: {', '.join(missing)} (apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "the daemons run as root here"
    if not loopback_only():
        return "needs a network namespace with only lo: unshare -n sh -c 'ip link set lo up; nox -s slurm'"
    return None


def _listenable_lo() -> None:
    """Slurm 22.05 resolves its listen address with AI_ADDRCONFIG, which ignores loopback
    addresses: with only 127.0.0.1 it cannot bind. A private address on ``lo`` (this
    namespace's only interface, so it reaches nothing) satisfies it."""
    shown = subprocess.run(
        ["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True, check=True
    )
    if LO_EXTRA not in shown.stdout:
        subprocess.run(["ip", "addr", "add", f"{LO_EXTRA}/32", "dev", "lo"], check=True)


@contextmanager
def local_slurm(root: Path, prolog: Path | None = None) -> Iterator[dict[str, str]]:
    """Start munged, slurmctld and slurmd; yield the environment a client needs."""
    why = available()
    if why:
        raise RuntimeError(why)
    _listenable_lo()
    for sub in ("state", "spool"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    key = root / "munge.key"
    key.write_bytes(secrets.token_bytes(128))
    key.chmod(0o600)
    host = socket.gethostname().split(".")[0]  # srun's %N and SLURM_JOB_NODELIST name it
    conf = root / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            host=host,
            root=root,
            ctld_port=6817,
            d_port=6818,
            cpus=os.cpu_count() or 1,
            prolog=f"Prolog={prolog}" if prolog else "",
        )
    )
    env = dict(os.environ, SLURM_CONF=str(conf))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        munge = ["munged", "--force", "--foreground", f"--key-file={key}", f"--socket={root}/munge.sock"]
        munge += [f"--{k}-file={root}/munged.{k}" for k in ("pid", "log", "seed")]
        procs.append(subprocess.Popen(munge, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(lambda: (root / "munge.sock").exists(), "munged")
        procs.append(
            subprocess.Popen(
                ["slurmctld", "-D", "-i", "-f", str(conf)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        procs.append(
            subprocess.Popen(
                ["slurmd", "-D", "-N", host, "-f", str(conf)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_for(lambda: _idle(env), "the node to come up", root)
        yield env
    finally:
        for proc in reversed(procs):  # slurmd, then slurmctld, then munged: each needs the next
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _idle(env: dict[str, str]) -> bool:
    out = subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True, check=False)
    return out.stdout.strip() in ("idle", "mix", "alloc")


def _wait_for(ready: Callable[[], bool], what: str, root: Path | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.5)
    logs = ""
    if root is not None:
        logs = " ".join(
            p.read_text()[-600:] for p in (root / "slurmctld.log", root / "slurmd.log") if p.exists()
        )
    raise RuntimeError(f"timed out waiting for {what}: {logs}")
