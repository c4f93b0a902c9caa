#!/bin/bash
# Alonzo's extension launcher: runs inside an execution environment whose function has external extensions, as
# Lambda's init does. It starts every executable in the extensions folder ($1) at once, each under a small watcher
# that tells the server when it ends (how the server learns of Extension.Crash), waits until the server says that all
# have registered, then becomes the runtime (the rest of its arguments). It speaks HTTP to the environment's own
# Runtime API with bash's /dev/tcp: an environment needs nothing more than bash for it.
dir=$1
shift
api=$AWS_LAMBDA_RUNTIME_API

# call METHOD PATH [BODY]: one request on a fresh connection; succeeds on a 200.
call() {
  local LC_ALL=C line body=${3-}
  exec 9<>"/dev/tcp/${api%:*}/${api##*:}" || return 1
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "$1" "$2" "$api" "${#body}" "$body" >&9
  IFS= read -r line <&9
  exec 9<&-
  [[ $line == "HTTP/1.1 200 "* ]]
}

# relay NAME: the extension's output (stdin here), line by line, as one chunked request that lasts as long as the
# extension runs: the server tells its lines apart from the function's (the Telemetry API's 'extension' stream).
relay() {
  local LC_ALL=C line
  if ! exec 8<>"/dev/tcp/${api%:*}/${api##*:}"; then cat; return; fi
  printf 'POST /_alonzo/extensions/log HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Name: %s\r\nTransfer-Encoding: chunked\r\n\r\n' "$api" "$1" >&8
  while IFS= read -r line || [[ -n $line ]]; do
    printf '%x\r\n%s\n\r\n' $((${#line} + 1)) "$line" >&8
  done
  printf '0\r\n\r\n' >&8
  # The server answers once it has read everything: only then may the watcher report the extension's end.
  IFS= read -r line <&8
  exec 8>&-
}

for f in "$dir"/*; do
  [[ -f $f && -x $f ]] || continue
  (
    # The runtime's private channel and Alonzo's own variables are not the extension's.
    exec 3>&-
    unset ALONZO_CHANNEL_FD
    # A pipeline: its end comes once the extension has exited and the relay has delivered all it wrote.
    "$f" </dev/null 2>&1 | relay "${f##*/}"
    status=${PIPESTATUS[0]}
    call POST "/_alonzo/extensions/exited?status=$status" "${f##*/}"
  ) &
done
call GET /_alonzo/extensions/registered || { echo "alonzo: the extensions' registration was not confirmed" >&2; exit 125; }
exec "$@"
