# The Python in-environment runtime: loads the function's handler and serves its invocations over the fd-3 channel or the Lambda Runtime API, behaving like AWS Lambda's Python runtime (awslambdaric).
#
# Standalone on purpose (docs STYLE.md point 7): standard library only, Python 3.9-3.13, nothing from the server.
# Started through bootstrap.py (the entry point the server spawns); like AWS's, error stack traces leave out the
# runtime's own leading frames (this file and bootstrap.py).
#
# Two transports, one behaviour (the server picks; test/invoke/transport-parity.test.ts holds them to the same results):
# - the private channel, when ALONZO_CHANNEL_FD is set (the default): frames, both ways,
#   [u32 BE header length][u32 BE body length][header JSON][body bytes];
#   out: ready | init_error{errorType} | log | result{id} | error{id,errorType}      in: invoke{id,deadlineMs,arn,...} (and first, in a prebooted standby, specialize{env,cwd})
# - the Lambda Runtime API over HTTP at AWS_LAMBDA_RUNTIME_API otherwise (http.client, one keep-alive connection), as
#   awslambdaric speaks it: GET /runtime/invocation/next, POST .../{id}/response or .../{id}/error, POST
#   /runtime/init/error. Log lines then go to fd 1, each written whole and before the POST that ends its invocation
#   (the server drains the pipe first).
# Exit codes: 0 channel or Runtime API closed, 1 left to the user's own sys.exit(1), 2 init error, 3 protocol/bootstrap bug.
# sys.exit() in user code is not caught (SystemExit is not an Exception): the process exits with the user's code,
# as on AWS, and the server reports Runtime.ExitError.

import os
import sys

EXIT_INIT_ERROR = 2
EXIT_PROTOCOL = 3

_CHANNEL_FD_SETTING = os.environ.pop("ALONZO_CHANNEL_FD", None)
_RUNTIME_API = os.environ.get("AWS_LAMBDA_RUNTIME_API")
# The channel when the server handed one over (or when there is no Runtime API to fall back on), else the Runtime API.
_USE_CHANNEL = _CHANNEL_FD_SETTING is not None or not _RUNTIME_API
_CHANNEL_FD = int(_CHANNEL_FD_SETTING or "3")
# Where log lines go without a channel: stdout, one fd for everything so that lines keep their order.
_LOG_FD = 1
_TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
_HANDLER = os.environ.get("_HANDLER", "")

if _USE_CHANNEL:
    try:
        os.set_blocking(_CHANNEL_FD, True)
        # User code that spawns processes must not hand them our channel.
        os.set_inheritable(_CHANNEL_FD, False)
    except OSError as _e:
        sys.stderr.write("alonzo bootstrap: no channel on fd %d: %s\n" % (_CHANNEL_FD, _e))
        sys.exit(EXIT_PROTOCOL)

import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

# -----------------------------------------------------------------------------------------------------------------
# Channel

_send_lock = threading.Lock()


def _write_all(fd, data):
    """Writes all of data to fd with one lock held, so frames and lines from several threads never interleave."""
    view = memoryview(data)
    with _send_lock:
        try:
            while view:
                view = view[os.write(fd, view):]
        except (BrokenPipeError, ConnectionResetError):
            # The server went away: same as EOF.
            os._exit(0)


def _send(header, body=b""):
    """Writes one channel frame."""
    _write_all(_CHANNEL_FD, len(header).to_bytes(4, "big") + len(body).to_bytes(4, "big") + header + body)


_LOG_HEADER = b'{"t":"log"}'


def _send_log(data):
    if data:
        if _USE_CHANNEL:
            _send(_LOG_HEADER, data)
        else:
            _write_all(_LOG_FD, data)


def _read_exact(n):
    """n bytes from the channel, or None at EOF."""
    if n == 0:
        return b""
    parts = []
    while n > 0:
        chunk = os.read(_CHANNEL_FD, n if n < 1048576 else 1048576)
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _read_frame():
    prefix = _read_exact(8)
    if prefix is None:
        return None, None
    if len(prefix) < 8:
        return None, None
    h_len = int.from_bytes(prefix[:4], "big")
    b_len = int.from_bytes(prefix[4:], "big")
    rest = _read_exact(h_len + b_len)
    if rest is None:
        return None, None
    return json.loads(rest[:h_len]), rest[h_len:]


# -----------------------------------------------------------------------------------------------------------------
# The Runtime API client (no channel): http.client on one keep-alive connection, loaded only in this mode.


class _RuntimeApiClient(object):
    def __init__(self, address):
        # Before any user code runs, and from the standard library even if the task root holds an http or email
        # module of its own (an import that user code repeats then finds these in sys.modules).
        saved = sys.path[:]
        sys.path[:] = [p for p in saved if p not in (_TASK_ROOT, "")]
        try:
            import http.client
            import socket
        finally:
            sys.path[:] = saved

        class _Connection(http.client.HTTPConnection):
            def connect(self):
                super().connect()
                # Requests and answers are small and strictly alternate: never wait for Nagle's algorithm.
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        host, _, port = address.rpartition(":")
        self._conn = _Connection(host, int(port))
        self._gone = (OSError, http.client.HTTPException)
        try:
            # Connected now, so that a user module that patches socket (gevent…) does not change our connection.
            self._conn.connect()
        except OSError:
            os._exit(0)

    def _request(self, method, path, body=None, headers=None):
        try:
            self._conn.request(method, "/2018-06-01/runtime" + path, body=body, headers=headers or {})
            response = self._conn.getresponse()
            return response, response.read()
        except self._gone:
            # The server went away (the environment is being stopped): same as EOF on the channel.
            os._exit(0)

    def next(self):
        """The next invocation as (header dict shaped like the channel's invoke frame, body bytes)."""
        response, body = self._request("GET", "/invocation/next")
        if response.status != 200:
            sys.__stderr__.write("alonzo bootstrap: GET next answered %d: %r\n" % (response.status, body))
            os._exit(EXIT_PROTOCOL)
        h = response.headers
        return {
            "t": "invoke",
            "id": h.get("Lambda-Runtime-Aws-Request-Id"),
            "deadlineMs": h.get("Lambda-Runtime-Deadline-Ms"),
            "arn": h.get("Lambda-Runtime-Invoked-Function-Arn"),
            # JSON in ASCII (the server \u-escapes the rest), as the channel would carry it.
            "clientContext": h.get("Lambda-Runtime-Client-Context"),
            "identity": h.get("Lambda-Runtime-Cognito-Identity"),
            "traceId": h.get("Lambda-Runtime-Trace-Id"),
        }, body

    def post(self, path, body, error_type=None):
        headers = {"Content-Type": "application/json"}
        if error_type is not None:
            headers["Lambda-Runtime-Function-Error-Type"] = _header_value(error_type)
        response, answer = self._request("POST", path, body, headers)
        if response.status >= 300:
            sys.__stderr__.write("alonzo bootstrap: POST %s answered %d: %r\n" % (path, response.status, answer))


def _header_value(value):
    """A header carries printable ASCII here: anything else is percent-encoded; the body has the real error type."""
    return "".join(
        c if c == "\t" or " " <= c <= "~" else "".join("%%%02X" % b for b in c.encode("utf-8", "surrogatepass"))
        for c in str(value)
    )


def _quote_id(invoke_id):
    from urllib.parse import quote

    return quote(invoke_id or "", safe="")


_rapid = None


def _report_result(invoke_id, result):
    if _USE_CHANNEL:
        _send(b'{"t":"result","id":' + json.dumps(invoke_id).encode() + b"}", result)
    else:
        _rapid.post("/invocation/%s/response" % _quote_id(invoke_id), result)


def _report_error(invoke_id, error_result):
    body = _to_json(error_result).encode("utf-8", "backslashreplace")
    if _USE_CHANNEL:
        _send(json.dumps({"t": "error", "id": invoke_id, "errorType": error_result["errorType"]}).encode(), body)
    else:
        _rapid.post("/invocation/%s/error" % _quote_id(invoke_id), body, error_result["errorType"])


def _report_init_error(error_result):
    body = _to_json(error_result).encode("utf-8", "backslashreplace")
    if _USE_CHANNEL:
        _send(json.dumps({"t": "init_error", "errorType": error_result["errorType"]}).encode(), body)
    else:
        _rapid.post("/init/error", body, error_result["errorType"])


# -----------------------------------------------------------------------------------------------------------------
# stdout and stderr become log frames, in order with result frames (same channel, written synchronously), or lines on
# fd 1 written before the result is posted.


class _LogBinaryStream(io.RawIOBase):
    """sys.stdout.buffer: bytes written by the function."""

    def __init__(self, fileno):
        super().__init__()
        self._fileno = fileno

    def writable(self):
        return True

    def write(self, b):
        data = bytes(b)
        _send_log(data)
        return len(data)

    def fileno(self):
        return self._fileno

    def isatty(self):
        return False


class _LogTextStream(io.TextIOBase):
    """sys.stdout / sys.stderr: every write is sent at once, like AWS's unbuffered streams."""

    encoding = "utf-8"
    errors = "backslashreplace"
    newlines = None
    line_buffering = True
    mode = "w"

    def __init__(self, fileno, name):
        super().__init__()
        self._fileno = fileno
        self.name = name
        self.buffer = _LogBinaryStream(fileno)

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if s:
            _send_log(s.encode("utf-8", "backslashreplace"))
        return len(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def fileno(self):
        return self._fileno

    def isatty(self):
        return False


sys.stdout = _LogTextStream(1, "<stdout>")
sys.stderr = _LogTextStream(2, "<stderr>")

# -----------------------------------------------------------------------------------------------------------------
# JSON like AWS's marshaller (simplejson there): Decimal is written as its exact digits, NaN Decimals as NaN, and
# ensure_ascii is off only on python3.12 (an AWS quirk kept for fidelity).

_ENSURE_ASCII = os.environ.get("AWS_EXECUTION_ENV") != "AWS_Lambda_python3.12"
# A Decimal is first written as a marked string, then the marks are swapped for its raw digits; the random tag makes
# a collision with user data practically impossible and costs nothing when no Decimal is present.
_DECIMAL_TAG = "\x00" + os.urandom(6).hex() + ":"
_DECIMAL_TAG_JSON = json.dumps(_DECIMAL_TAG)[1:-1]


class _Encoder(json.JSONEncoder):
    def __init__(self):
        super().__init__(ensure_ascii=_ENSURE_ASCII)
        self.saw_decimal = False

    def default(self, o):
        dec = sys.modules.get("decimal")
        if dec is not None and isinstance(o, dec.Decimal):
            if o.is_nan():
                return float("nan")
            self.saw_decimal = True
            return _DECIMAL_TAG + str(o) + "\x00"
        return super().default(o)


def _to_json(obj):
    enc = _Encoder()
    text = enc.encode(obj)
    if enc.saw_decimal:
        import re

        text = re.sub('"' + re.escape(_DECIMAL_TAG_JSON) + r'([^"\\]*)\\u0000"', r"\1", text)
    return text


# -----------------------------------------------------------------------------------------------------------------
# Errors, shaped as awslambdaric reports them


class FaultException(Exception):
    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


def _make_error(error_message, error_type, stack_trace, invoke_id=None):
    return {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _user_stack(tb):
    """The traceback as "  File …, line N, in f\\n    code\\n" strings, from the first frame outside this file on.

    Frames become plain tuples first so Python 3.11+ prints no ^^^ markers (AWS's format)."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i in range(len(frames)):
        if "/bootstrap.py" not in frames[i][0] and frames[i][0] != __file__:
            frames = frames[i:]
            break
    return traceback.format_list(frames)


def _fault_result(exc_info, invoke_id=None):
    etype, value, tb = exc_info
    if isinstance(value, FaultException):
        return _make_error(value.msg, value.exception_type, value.trace, invoke_id)
    return _make_error(str(value), etype.__name__, _user_stack(tb), invoke_id)


_JSON_LOGS = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"


def _indent_nbsp(line):
    stripped = line.lstrip(" ")
    return "\u00a0" * (len(line) - len(stripped)) + stripped


def _log_error(error_result):
    """The [ERROR] log entry AWS writes for a failed init or invocation (indentation as no-break spaces)."""
    if _JSON_LOGS:
        record = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time())),
            "level": "ERROR",
        }
        record.update(error_result)
        _send_log((_to_json(record) + "\n").encode("utf-8", "backslashreplace"))
        return
    description = "[ERROR]"
    error_type = error_result.get("errorType")
    if error_type:
        description += " " + error_type
    error_message = error_result.get("errorMessage")
    if error_message:
        if error_type:
            description += ":"
        description += " " + error_message
    lines = [description]
    stack_trace = error_result.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            if element == "":
                lines.append("")
            else:
                lines.extend(_indent_nbsp(line) for line in element.splitlines())
    _send_log(("\n".join(lines) + "\n").encode("utf-8", "backslashreplace"))


# -----------------------------------------------------------------------------------------------------------------
# Logging configured like Lambda's: one handler on the root logger, UTC times, the request id on every record.

_request_id = None


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id or ""
        return True


class _LambdaLoggerHandler(logging.Handler):
    def emit(self, record):
        # No try/except, as in awslambdaric: a broken format string raises into the caller on AWS too.
        _send_log(self.format(record).encode("utf-8", "backslashreplace"))


_JSON_RESERVED_FIELDS = {
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "aws_request_id", "tenant_id", "_frame_type", "taskName",
}


class _JsonFormatter(logging.Formatter):
    def format(self, record):
        import datetime
        import traceback

        record.levelno = min(50, max(0, record.levelno)) // 10 * 10
        record.levelname = logging.getLevelName(record.levelno)
        created = datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc)
        exc = record.exc_info
        result = {
            "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc[2]) if exc else None,
            "errorType": exc[0].__name__ if exc else None,
            "errorMessage": str(exc[1]) if exc else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno) if exc else None,
        }
        result.update(
            (k, v) for k, v in record.__dict__.items() if k not in _JSON_RESERVED_FIELDS and k not in result
        )
        return json.JSONEncoder(ensure_ascii=False, default=str).encode(
            {k: v for k, v in result.items() if v is not None}
        ) + "\n"


def _setup_logging():
    logging.Formatter.converter = time.gmtime
    root = logging.getLogger()
    handler = _LambdaLoggerHandler()
    if _JSON_LOGS:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    level = {None: "", "TRACE": "DEBUG"}.get(level, level).upper()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)


# -----------------------------------------------------------------------------------------------------------------
# The context object, as awslambdaric builds it


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self):
        return (
            "Client([installation_id=%s,app_title=%s,app_version_name=%s,app_version_code=%s,app_package_name=%s])"
            % (self.installation_id, self.app_title, self.app_version_name, self.app_version_code, self.app_package_name)
        )


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (self.custom, self.env, self.client)


def _obj_from_dict(cls, d):
    if d is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, d.get(field, None))
    return obj


class LambdaContext(object):
    def __init__(self, invoke_id, client_context, cognito_identity, epoch_deadline_time_in_ms, invoked_function_arn=None):
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = None
        self.client_context = _obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _obj_from_dict(Client, self.client_context.client)
        self.identity = _obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        delta_ms = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta_ms if delta_ms > 0 else 0

    def log(self, msg):
        _send_log(str(msg).encode("utf-8", "backslashreplace"))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%s,identity=%s,"
            "tenant_id=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
                self.tenant_id,
            )
        )


def _parse_json_field(text, name):
    try:
        return json.loads(text)
    except Exception as e:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, "Unable to parse {} JSON: {}".format(name, str(e)), None
        )


# -----------------------------------------------------------------------------------------------------------------
# Handler loading (awslambdaric's rules and messages)


def _get_handler(handler):
    import importlib

    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, str(e)))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        m = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, str(e))
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR, "Syntax error in module '{}': {}".format(modname, str(e)), trace
        )
    try:
        return getattr(m, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '{}' missing on module '{}'".format(fname, modname), None
        )


_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare "
    "cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, "
    "runtime updates can be triggered by a function change, or can be applied automatically. To determine if the "
    "runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with "
    "a change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)


# -----------------------------------------------------------------------------------------------------------------
# Invocations


def _handle_invoke(request_handler, header, body):
    global _request_id
    invoke_id = header.get("id")
    _request_id = invoke_id
    trace_id = header.get("traceId")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    error_result = None
    try:
        client_context = header.get("clientContext")
        identity = header.get("identity")
        context = LambdaContext(
            invoke_id,
            _parse_json_field(client_context, "Client Context") if client_context else None,
            _parse_json_field(identity, "Cognito Identity") if identity else None,
            int(header.get("deadlineMs") or 0),
            header.get("arn"),
        )
        try:
            event = json.loads(body)
        except Exception as e:
            raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(str(e)), None)
        response = request_handler(event, context)
        if isinstance(response, bytes):
            result = response
        else:
            try:
                result = _to_json(response).encode("utf-8", "surrogatepass")
            except Exception as e:
                raise FaultException(
                    FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(str(e)), None
                )
    except Exception:
        error_result = _fault_result(sys.exc_info(), invoke_id)

    if error_result is None:
        _report_result(invoke_id, result)
    else:
        _log_error(error_result)
        _report_error(invoke_id, error_result)


def _wait_for_debugger():
    """`alonzo dev --debug` (ALONZO_DEBUG_PORT): debugpy listens on 127.0.0.1:port and the handler's module loads once a
    debugger (VS Code's Python debugger, any DAP client) has attached and finished configuring, so that breakpoints
    in module code and in the handler are hit. debugpy must be importable: the interpreter's own site-packages, the
    function's code or a layer, or the runtime SDK (`alonzo runtimes install debugpy`)."""
    port = os.environ.pop("ALONZO_DEBUG_PORT", None)
    if not port:
        return
    try:
        import debugpy
    except ImportError:
        message = ("debugpy is not installed where this function's Python finds it. Install it with "
                   "`alonzo runtimes install debugpy` (or pip install debugpy for this interpreter, or into the function's folder).")
        error_result = _make_error(message, "Runtime.DebuggerUnavailable", [])
        _log_error(error_result)
        _report_init_error(error_result)
        os._exit(EXIT_INIT_ERROR)
    debugpy.listen(("127.0.0.1", int(port)))
    sys.__stderr__.write("alonzo: waiting for a debugger on 127.0.0.1:%s\n" % port)
    debugpy.wait_for_client()


def main():
    global _rapid
    _setup_logging()
    if not _USE_CHANNEL:
        _rapid = _RuntimeApiClient(_RUNTIME_API)
    # The task root first on sys.path, in place of the runtime's own directory (AWS puts /var/task first).
    script_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [_TASK_ROOT] + [p for p in sys.path if p not in (script_dir, _TASK_ROOT)]

    _wait_for_debugger()
    try:
        request_handler = _get_handler(_HANDLER)
    except Exception:
        error_result = _fault_result(sys.exc_info())
        logging.warning(_UNHANDLED_WARNING)
        _log_error(error_result)
        _report_init_error(error_result)
        os._exit(EXIT_INIT_ERROR)

    if not _USE_CHANNEL:
        # The first GET next is what ends init.
        while True:
            header, body = _rapid.next()
            _handle_invoke(request_handler, header, body)

    _send(b'{"t":"ready"}')
    while True:
        header, body = _read_frame()
        if header is None:
            # The server closed the channel: the environment is being shut down.
            os._exit(0)
        if header.get("t") != "invoke":
            sys.__stderr__.write("alonzo bootstrap: unexpected frame %r\n" % (header.get("t"),))
            os._exit(EXIT_PROTOCOL)
        _handle_invoke(request_handler, header, body)

