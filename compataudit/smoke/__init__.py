"""Smoke kernels: prove the stack computes, not only that its versions line up.

:func:`~compataudit.smoke.runner.run_smoke` runs a conv2d forward and backward
check for every installed framework on every device it sees, each framework in
its own subprocess; :func:`~compataudit.smoke.findings.smoke_findings` turns
failed runs into findings; :class:`~compataudit.smoke.progress.SmokeProgress`
shows them live on a terminal.
"""

from __future__ import annotations
