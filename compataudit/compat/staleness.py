"""What the compatibility data knows of the newest releases, and what is installed beyond it.

:func:`data_facts` combines the matrix files' ``curated`` dates, the ``[[newest]]`` rows of
``newest.toml`` (families the harvest does not record) and the harvest summary; the result
is the ``data_date`` of every report and the yardstick of "newer than the data" (MAT001).
"""

from __future__ import annotations

from typing import NamedTuple

from compataudit.compat._rows import read_rows
from compataudit.compat.datafacts import DataFacts, is_date, newer
from compataudit.compat.matrices import Matrices
from compataudit.distributions import canonical_name
from compataudit.model import Environment
from compataudit.versions import parse_version

NEWEST_FILE = "newest"


class Stale(NamedTuple):
    """An installed release newer than every release of its family the data knows."""

    name: str
    version: str
    newest: str  # the newest release the data knows


def data_facts(matrices: Matrices) -> DataFacts:
    """The data's date and newest known releases (built once per ``Matrices``)."""
    cached = matrices.views.get("facts")
    if isinstance(cached, DataFacts):
        return cached
    names = matrices.names()
    dates = [str(matrices.get(n)["curated"]) for n in names if is_date(matrices.get(n).get("curated"))]
    newest: dict[str, str] = {}
    if NEWEST_FILE in names:
        for r in read_rows(matrices, NEWEST_FILE, "newest"):
            version = r.required("version", what='a final release such as "2.4.6"')
            if not newer(version, None):
                raise r.fail("version", 'a final release such as "2.4.6"')
            newest[canonical_name(r.required("package"))] = version
    harvest = matrices.harvest_summary()
    for name, version in harvest.newest.items():
        if newer(version, newest.get(name)):
            newest[name] = version
    if harvest.date:
        dates.append(harvest.date)
    facts = DataFacts(max(dates, default=None), newest)
    matrices.views["facts"] = facts
    return facts


def newer_than_data(env: Environment, matrices: Matrices) -> list[Stale]:
    """Installed distributions whose release is newer than the newest the data knows."""
    known = data_facts(matrices).newest
    out = []
    for pkg in env.packages:
        newest = known.get(pkg.name)
        version = parse_version(pkg.version)
        if newest is None or version is None:
            continue
        if version.release > tuple(int(p) for p in newest.split(".")):
            out.append(Stale(pkg.name, pkg.version, newest))
    return out
