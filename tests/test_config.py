from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compataudit.cli.config import (
    Config,
    Settings,
    config_from_env,
    find_pyproject,
    load_config,
    merge,
    resolve,
)
from compataudit.errors import ConfigError


def _write(directory: Path, body: str, name: str = "pyproject.toml") -> Path:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


FULL = """
[project]
name = "demo"

[tool.compataudit]
ignore = ["DRV004", "mat"]
fail-on = "warning"
severity = { DRV002 = "error", "unknown-version" = "warning" }
smoke = false
smoke-timeout = 300
matrices = "data"
require = ["torch>=2.4", "python>=3.10"]
"""


def test_full_table(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    path = _write(tmp_path, FULL)
    cfg = load_config(None, tmp_path)
    assert cfg == Config(
        ignore=("DRV004", "MAT"),
        fail_on="warning",
        severity={"DRV002": "error", "MAT001": "warning"},
        smoke=False,
        smoke_timeout=300.0,
        matrices=str(tmp_path / "data"),
        require=("torch>=2.4", "python>=3.10"),
        path=path,
    )


def test_nearest_pyproject_upward(tmp_path: Path) -> None:
    _write(tmp_path, '[tool.compataudit]\nfail-on = "info"\n')
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    assert find_pyproject(nested) == tmp_path / "pyproject.toml"
    assert load_config(None, nested).fail_on == "info"
    # a nearer pyproject without the table wins (and configures nothing)
    _write(tmp_path / "src", "[project]\nname = 'x'\n")
    assert load_config(None, nested) == Config(path=tmp_path / "src" / "pyproject.toml")


def test_no_file_is_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("compataudit.cli.config.find_pyproject", lambda cwd: None)
    assert load_config(None, tmp_path) == Config()


@pytest.mark.parametrize(
    ("name", "body", "fail_on"),
    [
        ("ci.toml", 'fail-on = "never"\n', "never"),  # top-level keys in a dedicated file
        ("ci.toml", '[tool.compataudit]\nfail-on = "info"\n', "info"),
        ("pyproject.toml", '[tool.compataudit]\nfail-on = "warning"\n', "warning"),
    ],
)
def test_explicit_file(tmp_path: Path, name: str, body: str, fail_on: str) -> None:
    _write(tmp_path, body, name)
    assert load_config(name, tmp_path).fail_on == fail_on


BAD = [
    (
        'fail-on = "fatal"',
        'pyproject.toml: [tool.compataudit] fail-on = "fatal": must be one of error, warning, info, never',
    ),
    (
        'fail_on = "error"',
        "pyproject.toml: [tool.compataudit] unknown key 'fail_on' (did you mean 'fail-on'?)",
    ),
    ("colour = true", "pyproject.toml: [tool.compataudit] unknown key 'colour' (known: ignore, "),
    ('ignore = ["XYZ9"]', "ignore = ['XYZ9']: no finding code is or starts with 'XYZ9'"),
    ("ignore = [1]", "ignore = [1]: must be a list of strings"),
    ('severity = { DRV002 = "fatal" }', "DRV002: must be one of error, warning, info"),
    ('severity = { NOPE1 = "error" }', "unknown finding code 'NOPE1'"),
    ('severity = "error"', 'severity = "error": must be a table of CODE = severity'),
    ('smoke = "maybe"', 'smoke = "maybe": must be true or false'),
    ("smoke-timeout = -1", "smoke-timeout = -1: must be a positive number of seconds"),
    ("smoke-timeout = true", "smoke-timeout = true: must be a positive number of seconds"),
    ('matrices = "nowhere"', 'matrices = "nowhere": '),
    ('require = ["torch>>2"]', "require = ['torch>>2']: 'torch>>2' is not a requirement"),
    ('require = ["torch @ https://x/t.whl"]', "a URL cannot be checked"),
    ("[broken", "pyproject.toml: invalid TOML"),
]


@pytest.mark.parametrize(("line", "message"), BAD)
def test_invalid_values_name_the_key(tmp_path: Path, line: str, message: str) -> None:
    body = line if line.startswith("[") else f"[tool.compataudit]\n{line}\n"
    _write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--config nope\.toml: no such file"):
        load_config("nope.toml", tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe[tool]")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: cannot read"):
        load_config(None, tmp_path)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Config()),
        ({"COMPATAUDIT_FAIL_ON": "Warning"}, Config(fail_on="warning")),
        ({"COMPATAUDIT_IGNORE": "drv004, MAT ,"}, Config(ignore=("DRV004", "MAT"))),
        (
            {"COMPATAUDIT_SEVERITY": "DRV002=error,MAT001=warning"},
            Config(severity={"DRV002": "error", "MAT001": "warning"}),
        ),
        ({"COMPATAUDIT_SMOKE": "0"}, Config(smoke=False)),
        ({"COMPATAUDIT_SMOKE": "yes"}, Config(smoke=True)),
        ({"COMPATAUDIT_NO_SMOKE": "1", "COMPATAUDIT_SMOKE": "1"}, Config(smoke=False)),
        ({"COMPATAUDIT_NO_SMOKE": "0"}, Config()),
        ({"COMPATAUDIT_SMOKE_TIMEOUT": "45.5"}, Config(smoke_timeout=45.5)),
        (
            {"COMPATAUDIT_REQUIRE": "torch>=2.4,<3; python>=3.10"},
            Config(require=("torch>=2.4,<3", "python>=3.10")),
        ),
        ({"COMPATAUDIT_FAIL_ON": "  "}, Config()),  # empty: unset
    ],
)
def test_env(env: dict[str, str], expected: Config) -> None:
    assert config_from_env(env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COMPATAUDIT_FAIL_ON": "fatal"}, 'COMPATAUDIT_FAIL_ON = "fatal": must be one of'),
        ({"COMPATAUDIT_SMOKE_TIMEOUT": "soon"}, 'COMPATAUDIT_SMOKE_TIMEOUT = "soon": must be'),
        ({"COMPATAUDIT_SEVERITY": "DRV002"}, 'COMPATAUDIT_SEVERITY = "DRV002": must be CODE=severity'),
        ({"COMPATAUDIT_IGNORE": "ZZZ"}, "COMPATAUDIT_IGNORE = ['ZZZ']: no finding code"),
    ],
)
def test_env_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config_from_env(env)


FILE = Config(
    ignore=("MAT",),
    fail_on="warning",
    severity={"DRV002": "error"},
    smoke=False,
    smoke_timeout=300.0,
    require=("torch>=2.4",),
    path=Path("pyproject.toml"),
)


@pytest.mark.parametrize(
    ("cli", "env", "expected"),
    [
        # file only
        ({}, {}, {"fail_on": "warning", "smoke": False, "smoke_timeout": 300.0}),
        # env beats file
        ({}, {"COMPATAUDIT_FAIL_ON": "info", "COMPATAUDIT_SMOKE": "1"}, {"fail_on": "info", "smoke": True}),
        # flag beats env beats file
        (
            {"fail_on": "never", "smoke": None},
            {"COMPATAUDIT_FAIL_ON": "info"},
            {"fail_on": "never", "smoke": False},
        ),
        ({"smoke_timeout": 5}, {"COMPATAUDIT_SMOKE_TIMEOUT": "7"}, {"smoke_timeout": 5.0}),
        # lists accumulate, severity merges per code (severity and require have no flag)
        (
            {"ignore": ["DRV004"]},
            {"COMPATAUDIT_IGNORE": "PKG005", "COMPATAUDIT_SEVERITY": "DRV002=warning,MAT001=error"},
            {"ignore": ("MAT", "PKG005", "DRV004"), "severity": {"DRV002": "warning", "MAT001": "error"}},
        ),
        ({}, {"COMPATAUDIT_REQUIRE": "python>=3.10"}, {"require": ("torch>=2.4", "python>=3.10")}),
    ],
)
def test_resolve_precedence(cli: dict[str, Any], env: dict[str, str], expected: dict[str, Any]) -> None:
    settings = resolve(cli, env, FILE)
    for key, value in expected.items():
        assert getattr(settings, key) == value, key
    assert settings.config_file == Path("pyproject.toml")


@pytest.mark.parametrize("name", ["severity", "require", "no_such_setting"])
def test_only_real_flags_come_from_the_command_line(name: str) -> None:
    with pytest.raises(KeyError, match="no flag sets"):
        resolve({name: ["x"]}, {}, Config())


def test_one_table_names_each_setting_everywhere() -> None:
    from compataudit.cli.config import KEYS

    assert {k.env for k in KEYS.values()} == {f"COMPATAUDIT_{key.upper().replace('-', '_')}" for key in KEYS}
    assert {k.field for k in KEYS.values()} <= set(Config.__dataclass_fields__)


def test_defaults() -> None:
    assert resolve({}, {}, Config()) == Settings(fail_on="error", smoke=True, smoke_timeout=120.0)


def test_bad_flag_value_names_the_flag() -> None:
    with pytest.raises(ConfigError, match='--fail-on = "fatal": must be one of'):
        resolve({"fail_on": "fatal"}, {}, Config())


def test_merge_order_and_audit_options() -> None:
    settings = merge(Config(fail_on="info"), Config(fail_on="never"))
    options = settings.audit_options(code_paths=("src",))
    assert (options.fail_on, options.smoke, options.code_paths) == ("never", True, ("src",))


def test_ignore_and_fail_on_drive_the_audit(tmp_path: Path) -> None:
    """End to end through audit.apply_policy / exit_code_for: the config really decides."""
    from compataudit.audit import apply_policy, exit_code_for
    from compataudit.model import Finding, Severity

    _write(
        tmp_path,
        '[tool.compataudit]\nignore = ["DRV"]\nfail-on = "warning"\nseverity = { MAT001 = "warning" }\n',
    )
    options = resolve({}, {}, load_config(None, tmp_path)).audit_options()
    findings = [
        Finding("DRV001", Severity.ERROR, "old driver"),
        Finding("MAT001", Severity.INFO, "unknown version"),
    ]
    kept = apply_policy(findings, options)
    assert [(f.code, f.severity) for f in kept] == [("MAT001", Severity.WARNING)]
    assert exit_code_for(kept, [], options.fail_on) == 1
    assert exit_code_for(kept, [], "error") == 0


def test_tilde_is_expanded_before_the_working_directory_is_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    (home / "ci" / "matrices").mkdir(parents=True)
    work.mkdir()
    (home / "x.toml").write_text('fail-on = "warning"\nmatrices = "~/ci/matrices"\n')
    monkeypatch.setenv("HOME", str(home))
    cfg = load_config("~/x.toml", work)
    assert cfg.path == home / "x.toml" and cfg.fail_on == "warning"
    assert cfg.matrices == str(home / "ci" / "matrices")
