# The floor's Python child: reads Node's IPC channel (one JSON message a line on NODE_CHANNEL_FD), runs the echo
# handler on the parsed event, and writes the answer back the same way.
import json
import os
import socket


def handler(event, context):
    return event


def main():
    sock = socket.socket(fileno=int(os.environ["NODE_CHANNEL_FD"]))
    reader = sock.makefile("rb", buffering=65536)
    for line in reader:
        m = json.loads(line)
        out = handler(json.loads(m["body"]), None)
        sock.sendall((json.dumps({"id": m["id"], "body": json.dumps(out)}) + "\n").encode())


main()
