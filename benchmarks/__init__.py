"""neurodebug's benchmark suite (issue 7): ``python -m benchmarks [--quick] [--json FILE]``.

Lives outside ``tests/``: pytest (``testpaths = ["tests"]``) never runs it.
See benchmarks/README.md for what each number includes.
"""
