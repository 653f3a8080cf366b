"""The headless commands' names: the command line parses them
(``cli.py``), and anything else it is given opens the debugger, whose BLAS
threads are set before NumPy loads (``launch.py``)."""

COMMANDS = ("trace", "check", "convert", "export", "verify")
