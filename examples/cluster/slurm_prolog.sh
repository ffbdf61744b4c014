#!/bin/bash
# Slurm Prolog: gate every job on this node with compataudit (slurm.conf: Prolog=/path/to/this).
#
# Every job:   check --baseline BASELINE --no-smoke   (the static path: about a second)
# Once per boot or driver change: the smoke kernels on every GPU, cached in STATE_DIR.
#
# A non-zero exit makes slurmd drain the node and requeue the job
# (https://slurm.schedmd.com/prolog_epilog.html), so exit 1 means "this node is broken":
# its stack drifted from the baseline (FLT001), another error finding, or a failed kernel.
# When compataudit itself cannot run (exit 2: a missing baseline, a broken install) the
# job is let through and the reason logged, so that a tool fault never drains a fleet.
#
# Settings (environment, e.g. from /etc/default/slurmd):
#   COMPATAUDIT_PYTHON    the interpreter of the jobs' environment   (default: python3)
#   COMPATAUDIT_BASELINE  the golden snapshot or report               (default: /etc/compataudit/baseline.json)
#   COMPATAUDIT_STATE     where the smoke cache and last results live (default: /var/lib/compataudit)
#   COMPATAUDIT_SMOKE     0 to skip the smoke kernels                 (default: 1)
set -u

PY="${COMPATAUDIT_PYTHON:-python3}"
BASELINE="${COMPATAUDIT_BASELINE:-/etc/compataudit/baseline.json}"
STATE="${COMPATAUDIT_STATE:-/var/lib/compataudit}"
NODE="${SLURMD_NODENAME:-$(hostname -s)}"

log() { echo "compataudit prolog ($NODE, job ${SLURM_JOB_ID:-?}): $*" >&2; }

# The first reason in a JSON report: an error finding or a failed kernel.
reason() {
    "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
errors = [f["code"] + " " + f["title"] for f in d.get("findings", []) if f["severity"] == "error"]
smoke = ["smoke %s %s: %s" % (r["framework"], r["device"], r["status"]) for r in d.get("smoke", [])
         if r["status"] not in ("pass", "skip")]
print((smoke + errors + ["no reason recorded"])[0])' "$1" 2>/dev/null || echo "unreadable report $1"
}

mkdir -p "$STATE" || { log "cannot create $STATE; not gating"; exit 0; }

# 1. Every job: the static audit against the baseline.
"$PY" -m compataudit check --baseline "$BASELINE" --no-smoke --quiet \
    --format json --output "$STATE/check.json"
status=$?
if [ "$status" -eq 1 ]; then
    log "$(reason "$STATE/check.json")"
    exit 1
elif [ "$status" -ne 0 ]; then
    log "compataudit could not run (exit $status); job let through"
    exit 0
fi

# 2. The smoke kernels once per boot and driver: the key is the boot id plus the driver version.
[ "${COMPATAUDIT_SMOKE:-1}" = 0 ] && exit 0
driver="none"
[ -r /proc/driver/nvidia/version ] && driver="$(head -n 1 /proc/driver/nvidia/version)"
key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $driver"
(
    flock -w 600 9 || { log "smoke cache busy; job let through"; exit 0; }
    if [ -f "$STATE/smoke.ok" ] && [ "$(cat "$STATE/smoke.key" 2>/dev/null)" = "$key" ]; then
        exit 0  # passed since this boot, with this driver
    fi
    rm -f "$STATE/smoke.ok"
    "$PY" -m compataudit smoke --quiet --format json --output "$STATE/smoke.json"
    smoke_status=$?
    if [ "$smoke_status" -eq 0 ]; then
        printf '%s\n' "$key" > "$STATE/smoke.key" && touch "$STATE/smoke.ok"
    elif [ "$smoke_status" -eq 1 ]; then
        log "$(reason "$STATE/smoke.json")"
        exit 1
    else
        log "smoke kernels could not run (exit $smoke_status); job let through"
    fi
    exit 0
) 9> "$STATE/smoke.lock"
