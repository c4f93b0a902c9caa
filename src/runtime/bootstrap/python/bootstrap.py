# The Python environment's entry point: imports the runtime (_alonzo_runtime.py) and runs it.
#
# The runtime lives in a module rather than in this script because a script is compiled on every start while a module's
# bytecode is cached: writing __pycache__ is allowed for this one import (the server may set PYTHONDONTWRITEBYTECODE for
# the function's code; where this directory is read-only Python simply skips the cache), which saves compiling ~600
# lines, about 10 ms per start under load here.
import os
import sys


def _specialize():
    # A prebooted standby (ALONZO_STANDBY): the interpreter started before its function was known. It waits here, before
    # the runtime module reads anything of the environment, for one `specialize` frame on the channel carrying the
    # function's environment; by then the function's code is mounted at /var/task. What the runtime imports is loaded
    # first, so that the wait comes after the interpreter's and the standard library's start-up.
    import json, struct, traceback, decimal, logging, time, errno, io, importlib, threading  # noqa: F401,E401

    fd = int(os.environ.get("ALONZO_CHANNEL_FD") or "3")

    def read_exactly(n):
        chunks, left = [], n
        while left:
            chunk = os.read(fd, left)
            if not chunk:
                os._exit(0)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    h_len, b_len = struct.unpack(">II", read_exactly(8))
    header = json.loads(read_exactly(h_len))
    body = json.loads(read_exactly(b_len))
    if header.get("t") != "specialize":
        sys.__stderr__.write("alonzo bootstrap: expected specialize, got %r\n" % (header.get("t"),))
        os._exit(3)
    os.environ.clear()
    os.environ.update(body["env"])
    os.chdir(body["cwd"])


if os.environ.get("ALONZO_STANDBY"):
    _specialize()

# Explicitly, so the import also works under -P / PYTHONSAFEPATH (no script directory on sys.path).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_dont_write_bytecode = sys.dont_write_bytecode
sys.dont_write_bytecode = False
import _alonzo_runtime  # noqa: E402

sys.dont_write_bytecode = _dont_write_bytecode
_alonzo_runtime.main()
