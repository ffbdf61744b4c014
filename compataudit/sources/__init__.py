"""Where an Environment comes from, each a source of its own (like pip-audit's dependency
sources): this machine's probe (``compataudit.probes``, with ``--env`` targets), a saved
snapshot (:mod:`.snapshot`), the what-if flags (:mod:`.whatif`) and the files that describe
an environment (:mod:`.stack_files`: requirements, lock files, Dockerfiles, ...).
``compataudit.audit.build_environment`` picks one and lays the overlays on it.
"""
