# The Python environment's entry point: imports the runtime (_alonzo_runtime.py) and runs it.
#
# The runtime lives in a module rather than in this script because a script is compiled on every start while a module's
# bytecode is cached: writing __pycache__ is allowed for this one import (the server may set PYTHONDONTWRITEBYTECODE for
# the function's code; where this directory is read-only Python simply skips the cache), which saves compiling ~600
# lines, about 10 ms per start under load here.
import os
import sys

# Explicitly, so the import also works under -P / PYTHONSAFEPATH (no script directory on sys.path).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_dont_write_bytecode = sys.dont_write_bytecode
sys.dont_write_bytecode = False
import _alonzo_runtime  # noqa: E402

sys.dont_write_bytecode = _dont_write_bytecode
_alonzo_runtime.main()
