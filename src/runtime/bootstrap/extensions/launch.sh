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

for f in "$dir"/*; do
  [[ -f $f && -x $f ]] || continue
  (
    # The runtime's private channel and Alonzo's own variables are not the extension's.
    exec 3>&-
    unset ALONZO_CHANNEL_FD
    "$f" </dev/null
    status=$?
    call POST "/_alonzo/extensions/exited?status=$status" "${f##*/}"
  ) &
done
call GET /_alonzo/extensions/registered || { echo "alonzo: the extensions' registration was not confirmed" >&2; exit 125; }
exec "$@"
