"""CLI sub-commands beyond ``check``/``snapshot``/``smoke``.

Each module defines its commands as module-level functions (importable, callable
directly) and a ``register(app)`` that only attaches them to the Typer app. Command
modules import their heavy parts inside the command functions so that
``compataudit --help`` and ``compataudit check`` stay fast.
"""
