"""CLI sub-commands beyond ``check``/``snapshot``; each module defines ``register(app)``.

Command modules import their heavy parts inside the command functions so that
``compataudit --help`` and ``compataudit check`` stay fast.
"""
