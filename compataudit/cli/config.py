"""Configuration: ``[tool.compataudit]`` in pyproject.toml, ``COMPATAUDIT_*`` variables, flags.

Keys (kebab-case, as in the file)::

    [tool.compataudit]
    ignore = ["DRV004", "MAT"]          # codes or code prefixes
    fail-on = "warning"                 # error | warning | info | never
    severity = { DRV002 = "error" }     # per-code overrides
    smoke = false                       # run the smoke kernels (default true)
    smoke-timeout = 300                 # seconds per kernel
    matrices = "ci/matrices"            # relative to the file
    require = ["torch>=2.4", "python>=3.10"]

Environment variables: ``COMPATAUDIT_IGNORE`` (comma-separated),
``COMPATAUDIT_FAIL_ON``, ``COMPATAUDIT_SEVERITY`` (``CODE=level,...``),
``COMPATAUDIT_SMOKE`` (1/0, true/false), ``COMPATAUDIT_NO_SMOKE`` (set: no
smoke), ``COMPATAUDIT_SMOKE_TIMEOUT``, ``COMPATAUDIT_MATRICES`` and
``COMPATAUDIT_REQUIRE`` (``;``-separated: specifiers contain commas).

Precedence: flag > variable > file > default, per key. ``ignore`` and
``require`` accumulate over all three (a flag adds to the file's list);
``severity`` merges per code with the same precedence.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compataudit.errors import ConfigError
from compataudit.model import FAIL_ON_LEVELS, Severity

if TYPE_CHECKING:
    from compataudit.options import AuditOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

SEVERITIES = tuple(s.value for s in Severity)
DEFAULT_FAIL_ON = "error"
DEFAULT_SMOKE_TIMEOUT = 120.0
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Config:
    """Values given by one source; None (or empty) means "not set here"."""

    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    severity: dict[str, str] = field(default_factory=dict)
    smoke: bool | None = None
    smoke_timeout: float | None = None
    matrices: str | None = None
    require: tuple[str, ...] = ()
    path: Path | None = None  # the file it came from, if any


@dataclass(frozen=True)
class Settings:
    """The resolved configuration every command runs with."""

    ignore: tuple[str, ...] = ()
    fail_on: str = DEFAULT_FAIL_ON
    severity: dict[str, str] = field(default_factory=dict)
    smoke: bool = True
    smoke_timeout: float = DEFAULT_SMOKE_TIMEOUT
    matrices: str | None = None
    require: tuple[str, ...] = ()
    config_file: Path | None = None

    def audit_options(self, **extra: Any) -> AuditOptions:
        """These settings as :class:`~compataudit.audit.AuditOptions` (plus ``extra`` fields)."""
        from compataudit.options import AuditOptions

        return AuditOptions(
            fail_on=self.fail_on,
            smoke=self.smoke,
            smoke_timeout=self.smoke_timeout,
            matrices_dir=self.matrices,
            ignore=self.ignore,
            severity=dict(self.severity),
            require=self.require,
            **extra,
        )


# ----------------------------------------------------------------- value checks


def _codes(value: Any) -> tuple[str, ...]:
    from compataudit.rules import RULES

    items = _strings(value)
    out = []
    for item in items:
        code = item.strip().upper()
        if not code or not any(r.code.startswith(code) for r in RULES):
            raise ValueError(f"no finding code is or starts with {item!r}")
        out.append(code)
    return tuple(out)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return tuple(value)


def _fail_on(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in FAIL_ON_LEVELS:
        raise ValueError(f"must be one of {', '.join(FAIL_ON_LEVELS)}")
    return value.strip().lower()


def _severity(value: Any) -> dict[str, str]:
    from compataudit.rules import get_rule

    if not isinstance(value, Mapping):
        raise ValueError("must be a table of CODE = severity")
    out = {}
    for code, level in value.items():
        rule = get_rule(str(code))
        if rule is None:
            raise ValueError(f"unknown finding code {code!r}")
        if not isinstance(level, str) or level.strip().lower() not in SEVERITIES:
            raise ValueError(f"{code}: must be one of {', '.join(SEVERITIES)}")
        out[rule.code] = level.strip().lower()
    return out


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be true or false")


def _timeout(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError("must be a number of seconds") from None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or value == float("inf")
    ):
        raise ValueError("must be a positive number of seconds")
    return float(value)


def _matrices(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a directory path")
    return value


def _require(value: Any) -> tuple[str, ...]:
    from packaging.requirements import InvalidRequirement, Requirement

    items = _strings(value)
    for item in items:
        try:
            req = Requirement(item)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0] if str(exc) else "invalid"
            raise ValueError(f"{item!r} is not a requirement: {reason}") from None
        if req.url:
            raise ValueError(f"{item!r}: a URL cannot be checked, give a version range")
    return items


@dataclass(frozen=True)
class _Key:
    """One setting, everywhere it can be given: the file's key, its variable, its flag."""

    field: str  # the Config / Settings field
    convert: Callable[[Any], Any]
    env: str  # COMPATAUDIT_* variable
    flag: str | None = None  # the command-line flag, where there is one
    split: str | None = None  # the separator of a list in the variable


# The one table of settings, by their key in [tool.compataudit].
KEYS: dict[str, _Key] = {
    "ignore": _Key("ignore", _codes, "COMPATAUDIT_IGNORE", "--ignore", split=","),
    "fail-on": _Key("fail_on", _fail_on, "COMPATAUDIT_FAIL_ON", "--fail-on"),
    "severity": _Key("severity", _severity, "COMPATAUDIT_SEVERITY", split=","),
    "smoke": _Key("smoke", _bool, "COMPATAUDIT_SMOKE", "--smoke/--no-smoke"),
    "smoke-timeout": _Key("smoke_timeout", _timeout, "COMPATAUDIT_SMOKE_TIMEOUT", "--smoke-timeout"),
    "matrices": _Key("matrices", _matrices, "COMPATAUDIT_MATRICES", "--matrices"),
    # specifiers contain commas
    "require": _Key("require", _require, "COMPATAUDIT_REQUIRE", split=";"),
}
_BY_FIELD = {k.field: (key, k) for key, k in KEYS.items()}


def _convert(key: str, value: Any, where: str) -> Any:
    try:
        return KEYS[key].convert(value)
    except ValueError as exc:
        raise ConfigError(f"{where} = {_show(value)}: {exc}") from None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


# ----------------------------------------------------------------- sources


def find_pyproject(cwd: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``cwd`` or a parent directory."""
    for directory in (cwd, *cwd.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | None, cwd: Path) -> Config:
    """The ``[tool.compataudit]`` table of ``--config FILE`` or the nearest pyproject.toml.

    A file that is not a pyproject.toml may hold the keys at top level instead.
    No file, or no table: an empty :class:`Config`.
    """
    if explicit is not None:
        path = _under(cwd, explicit)
        if not path.is_file():
            raise ConfigError(f"--config {explicit}: no such file")
    else:
        found = find_pyproject(cwd)
        if found is None:
            return Config()
        path = found
    shown = _display(path, cwd)
    from compataudit.errors import CompatAuditError
    from compataudit.files import read_limited

    try:
        data = tomllib.loads(read_limited(path, "config").decode("utf-8"))
    except CompatAuditError as exc:
        raise ConfigError(f"{shown}: cannot read: {str(exc).removeprefix(f'config {path}: ')}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{shown}: invalid TOML: nested too deeply") from None
    tool = data.get("tool", {})
    table = tool.get("compataudit") if isinstance(tool, dict) else None
    if table is None and explicit is not None and path.name != "pyproject.toml":
        table = {k: v for k, v in data.items() if k != "tool"}
    if table is None:
        return Config(path=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{shown}: [tool.compataudit] must be a table")
    return _from_table(table, path, shown)


def _under(base: Path, text: str) -> Path:
    """``text`` as a path: ``~`` expanded first, then a relative path taken from ``base``."""
    return base / Path(text).expanduser()  # an absolute right side replaces base


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def _from_table(table: Mapping[str, Any], path: Path, shown: str) -> Config:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            import difflib  # only for the "did you mean" of an error

            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(KEYS)})"
            raise ConfigError(f"{shown}: [tool.compataudit] unknown key {key!r}{hint}")
        values[KEYS[key].field] = _convert(key, value, f"{shown}: [tool.compataudit] {key}")
    matrices = values.get("matrices")
    if matrices is not None:
        directory = _under(path.parent, matrices)
        if not directory.is_dir():
            raise ConfigError(
                f'{shown}: [tool.compataudit] matrices = "{matrices}": {directory} is not a directory'
            )
        values["matrices"] = str(directory)
    return Config(path=path, **values)


def config_from_env(env: Mapping[str, str]) -> Config:
    """The ``COMPATAUDIT_*`` variables of ``env`` as a :class:`Config` (empty ones are unset)."""
    values: dict[str, Any] = {}
    for key, k in KEYS.items():
        raw = env.get(k.env, "").strip()
        if not raw:
            continue
        value: Any = raw
        if k.split is not None:
            value = [p.strip() for p in raw.split(k.split) if p.strip()]
        if key == "severity":
            value = dict(_pair(p, k.env) for p in value)
        values[k.field] = _convert(key, value, k.env)
    if env.get("COMPATAUDIT_NO_SMOKE", "").strip().lower() not in _FALSE:
        values["smoke"] = False
    return Config(**values)


def _pair(text: str, var: str) -> tuple[str, str]:
    code, sep, level = text.partition("=")
    if not sep:
        raise ConfigError(f'{var} = "{text}": must be CODE=severity, comma-separated')
    return code.strip(), level.strip()


def config_from_cli(values: Mapping[str, Any]) -> Config:
    """Flag values (keys: Config field names; None = flag not given) as a Config."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        key, k = _BY_FIELD.get(name, ("", None))
        if k is None or k.flag is None:
            raise KeyError(f"config_from_cli: no flag sets {name!r}")  # a programming error
        if value is None or (isinstance(value, (list, tuple, dict)) and not value):
            continue
        if isinstance(value, tuple):
            value = list(value)
        out[name] = _convert(key, value, k.flag)
    return Config(**out)


def merge(*configs: Config) -> Settings:
    """Lowest precedence first: ``merge(file, env, cli)``; later sources win per key."""
    settings: dict[str, Any] = {"severity": {}, "ignore": (), "require": ()}
    for cfg in configs:
        settings["ignore"] += tuple(c for c in cfg.ignore if c not in settings["ignore"])
        settings["require"] += tuple(r for r in cfg.require if r not in settings["require"])
        settings["severity"].update(cfg.severity)
        for name in ("fail_on", "smoke", "smoke_timeout", "matrices"):
            if getattr(cfg, name) is not None:
                settings[name] = getattr(cfg, name)
        if cfg.path is not None:
            settings["config_file"] = cfg.path
    return Settings(**settings)


def resolve(cli_values: Mapping[str, Any], env: Mapping[str, str], file_config: Config) -> Settings:
    """The settings a command runs with: flags > ``COMPATAUDIT_*`` > file > defaults.

    ``cli_values`` maps Config field names (``fail_on``, ``ignore``, ``smoke``, ...)
    to flag values, None where the flag was not given. Raises ConfigError.
    """
    return merge(file_config, config_from_env(env), config_from_cli(cli_values))
