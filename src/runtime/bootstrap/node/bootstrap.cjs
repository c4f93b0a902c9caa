// The Node.js in-environment runtime: loads the function's handler and serves its invocations over the fd-3 channel or the Lambda Runtime API, behaving like AWS Lambda's Node.js runtime (aws-lambda-nodejs-runtime-interface-client).
//
// Standalone on purpose (docs STYLE.md point 7): it imports nothing from the server and only core modules, so an
// environment starts with one small file. CommonJS rather than ESM because `node bootstrap.cjs` reaches its first line
// about 7 ms sooner than the same code as .mjs on this machine kind (40 vs 47 ms median of 20 bare starts).
//
// Two transports, one behaviour (the server picks; test/invoke/transport-parity.test.ts holds them to the same results):
// - the private channel, when ALONZO_CHANNEL_FD is set (the default): frames, both ways,
//   [u32 BE header length][u32 BE body length][header JSON][body bytes];
//   out: ready | init_error{errorType} | log | result{id} | error{id,errorType}
//        | stream_start{id,contentType} | stream{id} (≤ 1 MiB of bytes each) | stream_end{id} | stream_error{id,errorType}
//   in: invoke{id,deadlineMs,arn,...} (and first, in a prebooted standby, specialize{env,cwd})
// - the Lambda Runtime API over HTTP at AWS_LAMBDA_RUNTIME_API otherwise, as AWS's runtime interface client speaks it:
//   GET /runtime/invocation/next, POST …/{id}/response (chunked, Lambda-Runtime-Function-Response-Mode: streaming and
//   error trailers for a streaming handler) or …/{id}/error, POST /runtime/init/error. Log lines then go
//   to fd 1, each written whole and before the POST that ends its invocation (the server drains the pipe first).
// Exit codes: 0 channel or Runtime API closed, 1 left to the user's own process.exit(1), 2 init error, 3 protocol/bootstrap bug,
// 13 init never settled (Node's own code for an unsettled top-level await), 128 unhandled rejection and
// 129 uncaught exception during an invocation (the codes AWS's runtime client uses).
'use strict';

const util = require('node:util');
const path = require('node:path');
const fs = require('node:fs');
const Module = require('node:module');

const EXIT_INIT_ERROR = 2;
const EXIT_PROTOCOL = 3;
const EXIT_UNSETTLED_INIT = 13;
const EXIT_UNHANDLED_REJECTION = 128;
const EXIT_UNCAUGHT_EXCEPTION = 129;

// A prebooted standby (ALONZO_STANDBY): the interpreter started before its function was known. It defines everything
// below, rehearses an invocation (rehearse()), then waits, before reading anything of the function's environment, for
// one `specialize` frame on the channel carrying it (awaitSpecialize()); by then the function's code is mounted at
// /var/task. Nothing else runs in this process meanwhile: the channel is all its event loop waits on.
const PREBOOTED = !!process.env.ALONZO_STANDBY;
// Loaded while nothing waits on this process: the channel is read through a net.Socket (see "Phase and channel").
if (PREBOOTED) require('node:net');

/**
 * Waits for the `specialize` frame through the channel's net.Socket, the way invoke frames come later, so that the
 * first invoke finds that path (socket, stream, frame parsing) already run; then takes on the function's environment.
 */
function awaitSpecialize() {
  return new Promise((resolve) => {
    specializing = (body) => {
      // Only what differs is touched (setting TZ, even to its own value, makes V8 re-detect the time zone).
      for (const k of Object.keys(process.env)) if (!(k in body.env)) delete process.env[k];
      for (const [k, v] of Object.entries(body.env)) if (process.env[k] !== v) process.env[k] = v;
      process.chdir(body.cwd);
      resolve();
    };
    maybeSwitchToSocket(true);
    channelSocket.ref();
  });
}

/** The function's own settings, read from its environment once it is known (in a standby: after `specialize`). */
let TASK_ROOT = '';
let HANDLER = '';
const CHANNEL_FD = Number(process.env.ALONZO_CHANNEL_FD || 3);
// The channel when the server handed one over (or when there is no Runtime API to fall back on), else the Runtime API.
const USE_CHANNEL = process.env.ALONZO_CHANNEL_FD !== undefined || !process.env.AWS_LAMBDA_RUNTIME_API;
const RUNTIME_API = process.env.AWS_LAMBDA_RUNTIME_API;
/** Where log lines go without a channel: stdout, one fd for everything so that lines keep their order. */
const LOG_FD = 1;

// AWS loads user code from /var/runtime/index.mjs, so a missing module reads "Require stack:\n- /var/runtime/index.mjs"
// in the errorMessage the invoker gets. Resolving from that (non-existent) path reproduces the text exactly and keeps
// the server's own install path out of users' error messages; absolute requires are unaffected by the parent's path.
const runtimeRequire = Module.createRequire('/var/runtime/index.mjs');

function adoptEnvironment() {
  TASK_ROOT = process.env.LAMBDA_TASK_ROOT || process.cwd();
  HANDLER = process.env._HANDLER || '';
  // The function must see Lambda's environment, not our plumbing (AWS likewise deletes _LAMBDA_TELEMETRY_LOG_FD).
  delete process.env.ALONZO_CHANNEL_FD;
  // AWS sets NODE_PATH=…:/var/task so bare requires also resolve from the task root; mirror that when the server did not.
  if (!process.env.NODE_PATH && typeof Module._initPaths === 'function') {
    process.env.NODE_PATH = TASK_ROOT;
    Module._initPaths();
  }
  JSON_LOGS = (process.env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';
  patchConsole();
  patchStdStream('stdout');
  patchStdStream('stderr');
}

// ---------------------------------------------------------------------------------------------------------------
// Phase and channel
//
// fd 3 is read through a net.Socket (epoll on the main thread: one wake-up per invoke) once 'net' is loaded, and with
// plain fs.read calls until then (each read waits in the threadpool, which then wakes the main thread: two hops).
// Requiring 'net' costs ~3.4 ms of a ~40 ms start here, so it is never paid on a cold path: a prebooted standby loads it
// while it waits for its function, any other environment once its first invocation has been answered (or at once
// when something else, such as the handler's own http, already loaded it). Writes are synchronous (fs.writeSync, as
// AWS's runtime writes its telemetry fd), so log and result frames keep their order and nothing queued is lost when
// the function calls process.exit(); the socket makes the fd non-blocking, so a write that finds the socket buffer
// full waits for room (EAGAIN below). The channel holds the event loop open only while idle (a pending fs.read, or a
// ref'd socket; unref'd from the moment an invoke frame arrives): during init and during an invocation nothing of
// ours keeps the event loop alive, so 'beforeExit' fires when the function's own work is done, which is how Lambda
// implements callbackWaitsForEmptyEventLoop and detects unsettled promises.

/** 'init' until the handler is loaded, then 'idle' (waiting for an invoke) or 'busy' (one invocation running). */
let phase = 'init';
let exiting = false;

if (USE_CHANNEL) {
  try {
    const st = fs.fstatSync(CHANNEL_FD);
    if (!st.isSocket() && !st.isFIFO()) throw new Error('not a socket');
  } catch (err) {
    process._rawDebug(`alonzo bootstrap: no channel on fd ${CHANNEL_FD}: ${err.message}`);
    process.exit(EXIT_PROTOCOL);
  }
}

/** One frame in one buffer, so a frame is one write. */
function encode(headerJson, body) {
  const hLen = Buffer.byteLength(headerJson);
  const bLen = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const buf = Buffer.allocUnsafe(8 + hLen + bLen);
  buf.writeUInt32BE(hLen, 0);
  buf.writeUInt32BE(bLen, 4);
  buf.write(headerJson, 8, hLen, 'utf8');
  if (bLen > 0) {
    if (typeof body === 'string') buf.write(body, 8 + hLen, bLen, 'utf8');
    else buf.set(body, 8 + hLen);
  }
  return buf;
}

function writeAll(buf, fd = CHANNEL_FD) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code === 'EAGAIN') {
        // The socket buffer is full (the fd is non-blocking once read through a net.Socket): wait for room rather
        // than drop a frame; 0.1 ms steps, so a 6 MB result (~30 buffers' worth) is not held back by whole milliseconds.
        Atomics.wait(SLEEPER, 0, 0, 0.1);
      } else if (err.code === 'EPIPE' || err.code === 'ECONNRESET') {
        // The server went away: same as EOF.
        process.exit(0);
      } else {
        process._rawDebug(`alonzo bootstrap: cannot write fd ${fd}: ${err.stack}`);
        process.exit(EXIT_PROTOCOL);
      }
    }
  }
}
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function send(headerJson, body) {
  const frame = encode(headerJson, body);
  if (rehearsal) return rehearsal.done();
  writeAll(frame);
}

const LOG_HEADER = '{"t":"log"}';
function sendLog(data) {
  if (data.length === 0) return;
  if (USE_CHANNEL) send(LOG_HEADER, data);
  else writeAll(typeof data === 'string' ? Buffer.from(data) : data, LOG_FD);
}

// Incoming: invoke frames only, one at a time. A typical frame arrives in one read into the scratch buffer; a larger
// one (events go up to 6 MB) gets a buffer of its final size and the rest is read straight into it.
const scratch = Buffer.allocUnsafe(64 * 1024);
let held = null; // bytes read but not yet a whole frame, or read beyond one (the server never sends those; be exact)
let frameBuf = null;
let frameFilled = 0;
let reading = false;
/** The channel as a net.Socket, once switched (see above); null while reads go through fs.read. */
let channelSocket = null;

/** Switches reading to a net.Socket when 'net' costs nothing more (loaded) or the cold path is over (`force`). */
function maybeSwitchToSocket(force) {
  if (channelSocket !== null || reading || frameBuf !== null || held !== null) return;
  if (!force && !PREBOOTED && !process.moduleLoadList.includes('NativeModule net')) return;
  const net = require('node:net');
  channelSocket = new net.Socket({ fd: CHANNEL_FD, readable: true });
  channelSocket.on('data', onSocketData);
  channelSocket.on('end', () => process.exit(0)); // EOF: the server closed the channel.
  channelSocket.on('error', (err) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') process.exit(0);
    process._rawDebug(`alonzo bootstrap: cannot read the channel: ${err.stack}`);
    process.exit(EXIT_PROTOCOL);
  });
}

function onSocketData(chunk) {
  if (frameBuf !== null) {
    const take = Math.min(chunk.length, frameBuf.length - frameFilled);
    chunk.copy(frameBuf, frameFilled, 0, take);
    frameFilled += take;
    if (frameFilled < frameBuf.length) return;
    if (take < chunk.length) held = Buffer.from(chunk.subarray(take));
    const frame = frameBuf;
    frameBuf = null;
    frameFilled = 0;
    channelSocket.unref();
    return onFrame(frame, 0);
  }
  if (held !== null) {
    chunk = Buffer.concat([held, chunk]);
    held = null;
  }
  if (onChunk(chunk)) channelSocket.unref();
}

function readNext() {
  if (reading || exiting) return;
  if (frameBuf === null && held !== null && held.length >= 8) {
    const chunk = held;
    held = null;
    if (!onChunk(chunk)) readNext();
    return;
  }
  maybeSwitchToSocket(invocations > 0);
  if (channelSocket !== null) {
    channelSocket.ref();
    return;
  }
  reading = true;
  if (frameBuf !== null) fs.read(CHANNEL_FD, frameBuf, frameFilled, frameBuf.length - frameFilled, null, onRead);
  else fs.read(CHANNEL_FD, scratch, 0, scratch.length, null, onRead);
}

function onRead(err, n) {
  reading = false;
  if (err) {
    if (err.code === 'EAGAIN') return void setTimeout(readNext, 1);
    if (err.code === 'ECONNRESET') process.exit(0);
    process._rawDebug(`alonzo bootstrap: cannot read the channel: ${err.stack}`);
    process.exit(EXIT_PROTOCOL);
  }
  if (n === 0) process.exit(0); // EOF: the server closed the channel.
  if (frameBuf !== null) {
    frameFilled += n;
    if (frameFilled < frameBuf.length) return readNext();
    const frame = frameBuf;
    frameBuf = null;
    frameFilled = 0;
    return onFrame(frame, 0);
  }
  let chunk = scratch.subarray(0, n);
  if (held !== null) {
    chunk = Buffer.concat([held, chunk]);
    held = null;
  }
  if (!onChunk(chunk)) readNext();
}

/** Consumes read bytes; true when a frame was dispatched (the next read then waits until idle again). */
function onChunk(chunk) {
  if (chunk.length < 8) {
    held = Buffer.from(chunk);
    return false;
  }
  const total = 8 + chunk.readUInt32BE(0) + chunk.readUInt32BE(4);
  if (chunk.length < total) {
    frameBuf = Buffer.allocUnsafe(total);
    chunk.copy(frameBuf, 0);
    frameFilled = chunk.length;
    return false;
  }
  if (chunk.length > total) held = Buffer.from(chunk.subarray(total));
  onFrame(chunk, 0);
  return true;
}

// Done with the bytes before the handler runs, so a read the handler's completion starts may reuse the scratch buffer.
function onFrame(buf, off) {
  const hLen = buf.readUInt32BE(off);
  const bLen = buf.readUInt32BE(off + 4);
  let header;
  try {
    header = JSON.parse(buf.toString('utf8', off + 8, off + 8 + hLen));
  } catch (err) {
    return protocolError(`bad frame header: ${err.message}`);
  }
  if (header.t === 'specialize' && specializing) {
    const done = specializing;
    specializing = null;
    return done(JSON.parse(buf.toString('utf8', off + 8 + hLen, off + 8 + hLen + bLen)));
  }
  if (header.t !== 'invoke') return protocolError(`unexpected frame ${JSON.stringify(header.t)}`);
  if (phase !== 'idle') return protocolError(`invoke while ${phase}`);
  const body = buf.toString('utf8', off + 8 + hLen, off + 8 + hLen + bLen);
  startInvoke(header, body);
}

function protocolError(message) {
  process._rawDebug(`alonzo bootstrap: protocol error: ${message}`);
  process.exit(EXIT_PROTOCOL);
}

// ---------------------------------------------------------------------------------------------------------------
// The Runtime API client (no channel): node:http on one keep-alive connection, as AWS's RAPIDClient does.
//
// One socket (maxSockets 1): the GET next that follows a POST queues behind it and goes out on the same connection
// once the POST is answered, which is the order AWS's client keeps. The agent unrefs an idle keep-alive socket, so
// during an invocation nothing of ours holds the event loop open ('beforeExit' works as with the channel), and the
// pending GET next holds it open while idle. node:http is loaded only in this mode (it costs ~1 ms of a start).

let rapid = null;
let postsInFlight = 0;
let afterPosts = null;

function rapidClient() {
  if (rapid === null) {
    const http = require('node:http');
    const url = new URL(`http://${RUNTIME_API}`);
    rapid = { http, hostname: url.hostname, port: url.port, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
  }
  return rapid;
}

function rapidRequest(method, path, headers, body, onResponse) {
  rapidClient();
  const req = rapid.http.request(
    { agent: rapid.agent, hostname: rapid.hostname, port: rapid.port, method, path: `/2018-06-01/runtime${path}`, headers },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => onResponse(res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    },
  );
  // The server went away (the environment is being stopped): same as EOF on the channel.
  req.on('error', () => process.exit(0));
  req.end(body);
}

function rapidPost(path, body, headers, then) {
  postsInFlight++;
  rapidRequest('POST', path, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers }, body, (res, answer) => {
    if (res.statusCode >= 300) process._rawDebug(`alonzo bootstrap: POST ${path} answered ${res.statusCode}: ${answer}`);
    postsInFlight--;
    if (then) then();
    if (postsInFlight === 0 && afterPosts !== null) afterPosts();
  });
}

/** A streamed POST: chunked body, error trailers announced; `onAnswered` once the server has answered it. */
function rapidStreamRequest(path, contentType, onAnswered) {
  let answered = false;
  const finish = () => {
    if (!answered) {
      answered = true;
      onAnswered();
    }
  };
  const headers = {
    'Content-Type': contentType,
    'Lambda-Runtime-Function-Response-Mode': 'streaming',
    'Transfer-Encoding': 'chunked',
    Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
  };
  rapidClient();
  const req = rapid.http.request({ agent: rapid.agent, hostname: rapid.hostname, port: rapid.port, method: 'POST', path: `/2018-06-01/runtime${path}`, headers }, (res) => {
    if (res.statusCode >= 300) process._rawDebug(`alonzo bootstrap: POST ${path} answered ${res.statusCode}`);
    res.resume();
    res.on('end', finish);
    res.on('close', finish);
  });
  // The server refused the rest (past the stream limit) or went away: the invocation is over either way.
  req.on('error', finish);
  req.flushHeaders();
  return req;
}

/** A header carries Latin-1 only: anything else is percent-encoded (as AWS's client does for \x7F); the body has the real type. */
function headerValue(v) {
  return String(v).replace(/[^\t\x20-\x7e]/g, (c) => Buffer.from(c).toString('hex').toUpperCase().replace(/../g, '%$&'));
}

function rapidNext() {
  if (exiting) return;
  rapidRequest('GET', '/invocation/next', undefined, undefined, (res, body) => {
    if (res.statusCode !== 200) return protocolError(`GET /runtime/invocation/next answered ${res.statusCode}: ${body}`);
    if (phase !== 'idle') return protocolError(`invoke while ${phase}`);
    const h = res.headers;
    const invoke = {
      id: h['lambda-runtime-aws-request-id'],
      deadlineMs: h['lambda-runtime-deadline-ms'],
      arn: h['lambda-runtime-invoked-function-arn'],
      // JSON in ASCII (the server \u-escapes the rest), as the channel would carry it.
      clientContext: h['lambda-runtime-client-context'],
      identity: h['lambda-runtime-cognito-identity'],
      traceId: h['lambda-runtime-trace-id'],
    };
    startInvoke(invoke, body.toString('utf8'));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// What the runtime reports, over whichever transport this environment has

/**
 * Runs an invocation from a fresh stack, whichever transport delivered it: a handler's stack trace then ends
 * `at Runtime.handleOnceNonStreaming … at process.processImmediate` over both (not in the channel reader's frames or in
 * node:http's), so error payloads and logged stacks are the same. Costs a hop to the check phase of the same loop turn.
 */
function startInvoke(invoke, bodyJson) {
  setImmediate(runtime.handleOnce, invoke, bodyJson);
}

function reportReady() {
  // Over the Runtime API, the first GET next is what ends init.
  if (USE_CHANNEL) send('{"t":"ready"}');
}

function waitForInvoke() {
  if (USE_CHANNEL) readNext();
  else rapidNext();
}

function reportResult(id, body) {
  if (USE_CHANNEL) send(`{"t":"result","id":${JSON.stringify(id)}}`, body);
  else rapidPost(`/invocation/${encodeURIComponent(id)}/response`, body);
}

function reportError(id, payload, then) {
  // A crash while a handler streams ends its stream with the error (over HTTP, the one connection is that POST's).
  if (activeStream !== null && activeStream.id === id) return activeStream.fail(payload, then);
  if (USE_CHANNEL) {
    send(errorFrameHeader(id, payload), serialize(payload));
    if (then) then();
  } else {
    rapidPost(`/invocation/${encodeURIComponent(id)}/error`, serialize(payload), { 'Lambda-Runtime-Function-Error-Type': headerValue(payload.errorType) }, then);
  }
}

function reportInitError(payload, then) {
  if (USE_CHANNEL) {
    send(JSON.stringify({ t: 'init_error', errorType: payload.errorType }), JSON.stringify(payload));
    then();
  } else {
    rapidPost('/init/error', JSON.stringify(payload), { 'Lambda-Runtime-Function-Error-Type': headerValue(payload.errorType) }, then);
  }
}

/** Exits once every report already made has reached the server (a channel write is synchronous: at once). */
function exitAfterReports(code) {
  if (postsInFlight === 0) process.exit(code);
  else afterPosts = () => process.exit(code);
}

// ---------------------------------------------------------------------------------------------------------------
// Logging: console.* and process.stdout/stderr become log frames, in order with result frames (same fd, sync writes),
// or, without a channel, lines on fd 1 written (synchronously) before the result is posted.

// The same global symbol AWS's runtime uses, so tools that read the current request id keep working.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
globalThis[REQUEST_ID] = undefined;

const LEVELS = {
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
};
/** Set by adoptEnvironment(), from AWS_LAMBDA_LOG_FORMAT. */
let JSON_LOGS = false;

function logText(level, message, ...params) {
  sendLog(
    `${new Date().toISOString()}\t${globalThis[REQUEST_ID]}\t${level.name}\t${util.format(message, ...params)}\n`,
  );
}

function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

function logJson(level, ...messageParams) {
  const result = { timestamp: new Date().toISOString(), level: level.name, requestId: globalThis[REQUEST_ID] };
  let line;
  if (messageParams.length === 1) {
    result.message = messageParams[0];
    try {
      line = JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = util.format(result.message);
      line = JSON.stringify(result);
    }
  } else {
    result.message = util.format(...messageParams);
    for (const param of messageParams) {
      if (param instanceof Error) {
        result.errorType = param?.constructor?.name ?? 'UnknownError';
        result.errorMessage = param.message;
        result.stackTrace = typeof param.stack === 'string' ? param.stack.split('\n') : [];
        break;
      }
    }
    line = JSON.stringify(result);
  }
  sendLog(line + '\n');
}

function patchConsole() {
  const log = JSON_LOGS ? logJson : logText;
  const min = LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || LEVELS.TRACE;
  const nop = () => {};
  const at = (level) => (level.priority >= min.priority ? (msg, ...params) => log(level, msg, ...params) : nop);
  console.trace = at(LEVELS.TRACE);
  console.debug = at(LEVELS.DEBUG);
  console.info = at(LEVELS.INFO);
  console.log = console.info;
  console.warn = at(LEVELS.WARN);
  console.error = at(LEVELS.ERROR);
  console.fatal = (msg, ...params) => log(LEVELS.FATAL, msg, ...params);
}

/** Replaces write() on process.stdout/stderr, lazily, so an unused stream costs nothing at start-up. */
function patchStdStream(name) {
  const desc = Object.getOwnPropertyDescriptor(process, name);
  if (!desc || typeof desc.get !== 'function') return;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: desc.enumerable,
    get() {
      const stream = desc.get.call(process);
      stream.write = streamWrite;
      Object.defineProperty(process, name, { configurable: true, enumerable: desc.enumerable, writable: true, value: stream });
      return stream;
    },
  });
}

function streamWrite(chunk, encoding, callback) {
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  if (typeof chunk === 'string') {
    sendLog(encoding && encoding !== 'utf8' && encoding !== 'utf-8' ? Buffer.from(chunk, encoding) : chunk);
  } else if (chunk instanceof Uint8Array) {
    sendLog(chunk);
  } else {
    const err = new TypeError(
      `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${util.inspect(chunk)}`,
    );
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  if (typeof callback === 'function') process.nextTick(callback);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors, shaped as AWS's runtime reports them

class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class MalformedHandlerName extends Error {}
class UserCodeSyntaxError extends Error {}
class MalformedStreamingHandler extends Error {}
class InvalidStreamingOperation extends Error {}
class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
for (const E of [ImportModuleError, HandlerNotFound, MalformedHandlerName, UserCodeSyntaxError, MalformedStreamingHandler, InvalidStreamingOperation, NodeJsExit, UnhandledPromiseRejection]) {
  E.prototype.name = `Runtime.${E.name}`;
}

function isErrorLike(obj) {
  return Boolean(
    obj &&
      obj.name &&
      obj.message &&
      obj.stack &&
      typeof obj.name === 'string' &&
      typeof obj.message === 'string' &&
      typeof obj.stack === 'string',
  );
}

function intoError(err) {
  return err instanceof Error ? err : new Error(err);
}

/** The payload the invoker receives: {errorType, errorMessage, trace}; a thrown non-Error becomes {typeof, toString()}. */
function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name?.replaceAll('\x7F', '%7F'),
        errorMessage: error.message?.replaceAll('\x7F', '%7F'),
        trace: error.stack.replaceAll('\x7F', '%7F').split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

function withEnumerableProperties(value) {
  if (value instanceof Error) {
    const ret = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
    if (typeof value.stack === 'string') ret.stack = value.stack.split('\n');
    return ret;
  }
  return value;
}

/** The log form of an error: a tab, then JSON with errorType, errorMessage, own properties and the stack as lines. */
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

/** "Invoke Error", "Uncaught Exception"…: the ERROR line AWS writes before reporting an error. */
function logError(label, err) {
  if (JSON_LOGS) console.error(intoError(err));
  else console.error(label, toFormatted(intoError(err)));
}

function serialize(value) {
  try {
    const json = JSON.stringify(value === undefined ? null : value);
    return json === undefined ? 'null' : json;
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

function errorFrameHeader(id, payload) {
  return JSON.stringify({ t: 'error', id, errorType: payload.errorType });
}

// ---------------------------------------------------------------------------------------------------------------
// Crash handlers: installed before any user code runs.

let currentId = null;

function fatal(error, code) {
  if (exiting) return;
  const payload = toRapidResponse(error);
  const wasPhase = phase;
  exiting = true;
  if (wasPhase === 'init') reportInitError(payload, () => process.exit(EXIT_INIT_ERROR));
  else if (wasPhase === 'busy') reportError(currentId, payload, () => exitAfterReports(code));
  else exitAfterReports(code);
}

process.on('uncaughtException', (error) => {
  logError('Uncaught Exception', error);
  fatal(error, EXIT_UNCAUGHT_EXCEPTION);
});

process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', error);
  fatal(error, EXIT_UNHANDLED_REJECTION);
});

// The one 'beforeExit' listener; each invocation swaps what it does (AWS's BeforeExitListener).
const NO_OP = () => {};
let beforeExit = NO_OP;
process.on('beforeExit', () => {
  if (phase === 'init') {
    // Loading the handler is waiting on a promise nothing will settle; AWS's runtime dies the same way (exit 13).
    process.exit(EXIT_UNSETTLED_INIT);
  }
  beforeExit();
});

// ---------------------------------------------------------------------------------------------------------------
// Handler loading (AWS's rules: CommonJS, ES modules by extension or "type":"module", nested paths and properties)

function moduleRootAndHandler(fullHandlerString) {
  const handlerString = path.basename(fullHandlerString);
  return [fullHandlerString.substring(0, fullHandlerString.indexOf(handlerString)), handlerString];
}

function splitHandlerString(handler) {
  const match = handler.match(/^([^.]*)\.(.*)$/);
  if (!match || match.length !== 3) throw new MalformedHandlerName('Bad handler');
  return [match[1], match[2]];
}

function resolveHandler(object, nestedProperty) {
  return nestedProperty.split('.').reduce((nested, key) => nested && nested[key], object);
}

function tryRequireFile(file, extension) {
  const p = file + (extension || '');
  return fs.existsSync(p) ? runtimeRequire(p) : undefined;
}

async function tryAwaitImport(file, extension) {
  const p = file + (extension || '');
  if (fs.existsSync(p)) return await import(require('node:url').pathToFileURL(p).href);
  return undefined;
}

function hasFolderPackageJsonTypeModule(folder) {
  if (folder.endsWith('/node_modules')) return false;
  const pj = path.join(folder, 'package.json');
  if (fs.existsSync(pj)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
      if (pkg) return pkg.type === 'module';
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  if (folder === '/') return false;
  return hasFolderPackageJsonTypeModule(path.resolve(folder, '..'));
}

async function tryRequire(appRoot, moduleRoot, moduleName) {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, moduleName);
  const extensionless = tryRequireFile(lambdaStylePath);
  if (extensionless) return extensionless;

  const pjHasModule = hasFolderPackageJsonTypeModule(path.resolve(path.dirname(lambdaStylePath)));
  if (!pjHasModule) {
    const loaded = tryRequireFile(lambdaStylePath, '.js');
    if (loaded) return loaded;
  }
  const loaded =
    (pjHasModule && (await tryAwaitImport(lambdaStylePath, '.js'))) ||
    (await tryAwaitImport(lambdaStylePath, '.mjs')) ||
    tryRequireFile(lambdaStylePath, '.cjs');
  if (loaded) return loaded;

  // Node-style resolution last (node_modules, NODE_PATH), relative to the task root rather than to this file.
  return runtimeRequire(runtimeRequire.resolve(moduleName, { paths: [appRoot, moduleRoot] }));
}

async function loadUserApp(appRoot, moduleRoot, moduleName) {
  try {
    return await tryRequire(appRoot, moduleRoot, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e && e.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }
}

async function loadHandler(appRoot, fullHandlerString) {
  if (fullHandlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const [moduleRoot, moduleAndHandler] = moduleRootAndHandler(fullHandlerString);
  const [moduleName, handlerPath] = splitHandlerString(moduleAndHandler);
  const userApp = await loadUserApp(appRoot, moduleRoot, moduleName);
  const handlerFunc = resolveHandler(userApp, handlerPath);
  if (!handlerFunc) throw new HandlerNotFound(`${fullHandlerString} is undefined or not exported`);
  if (typeof handlerFunc !== 'function') throw new HandlerNotFound(`${fullHandlerString} is not a function`);
  return handlerFunc;
}

function isAsyncFunction(fn) {
  try {
    return Boolean(fn && fn.constructor && fn.constructor.name === 'AsyncFunction');
  } catch {
    return false;
  }
}

function isPromise(obj) {
  return obj && obj.then && typeof obj.then === 'function';
}

// ---------------------------------------------------------------------------------------------------------------
// Invocations

/** Back to waiting: the pending read holds the process open until the next invoke frame or EOF. */
let invocations = 0;
function scheduleNext() {
  if (rehearsal) return;
  invocations++;
  beforeExit = NO_OP;
  currentId = null;
  phase = 'idle';
  waitForInvoke();
}

/**
 * The callback, and the part of the context holding callbackWaitsForEmptyEventLoop and succeed/fail/done; only the
 * first of callback/succeed/fail/done counts (AWS's CallbackContext).
 */
function buildCallbackContext(id) {
  const postError = (err) => {
    logError('Invoke Error', err);
    reportError(id, toRapidResponse(err));
    scheduleNext();
  };

  let isCompleteInvoked = false;
  const complete = (result) => {
    if (isCompleteInvoked) {
      console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
      return;
    }
    isCompleteInvoked = true;
    // Serialising can throw ("Unable to stringify response body"); callers turn that into this invocation's error.
    const body = serialize(result);
    reportResult(id, body);
    scheduleNext();
  };

  let waitForEmptyEventLoop = true;

  const callback = (err, result) => {
    beforeExit = NO_OP;
    if (err !== undefined && err !== null) {
      postError(err);
    } else if (!waitForEmptyEventLoop) {
      complete(result);
    } else {
      beforeExit = () => {
        setImmediate(() => {
          try {
            complete(result);
          } catch (e) {
            postError(e);
          }
        });
      };
    }
  };

  const done = (err, result) => {
    beforeExit = NO_OP;
    if (err !== undefined && err !== null) postError(err);
    else complete(result);
  };
  const succeed = (result) => done(null, result);
  const fail = (err) => (err === undefined || err === null ? done('handled') : done(err, null));

  let finished = false;
  const onlyFirst = (fn) =>
    function () {
      if (!finished) {
        fn.apply(null, arguments);
        finished = true;
      }
    };

  const callbackContext = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: onlyFirst(succeed),
    fail: onlyFirst(fail),
    done: onlyFirst(done),
  };
  return [onlyFirst(callback), callbackContext, () => (isCompleteInvoked = true), postError];
}

function parseJsonField(text, name) {
  if (text === undefined || text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

/** Fills the context as AWS does: environment data, then invoke data; field order matches AWS's JSON.stringify(context). */
function attachEnvironmentData(callbackContext, invoke) {
  if (invoke.traceId) process.env._X_AMZN_TRACE_ID = invoke.traceId;
  else delete process.env._X_AMZN_TRACE_ID;
  const env = process.env;
  const deadline = Number(invoke.deadlineMs);
  return Object.assign(
    callbackContext,
    {
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    },
    {
      clientContext: parseJsonField(invoke.clientContext, 'ClientContext'),
      identity: parseJsonField(invoke.identity, 'CognitoIdentity'),
      invokedFunctionArn: invoke.arn,
      awsRequestId: invoke.id,
      getRemainingTimeInMillis: function () {
        return deadline - Date.now();
      },
    },
  );
}

// Named Runtime, and the handler called as this.handler, so traces read "at Runtime.handler (…)" as on AWS.
class Runtime {
  constructor(handler) {
    this.handler = handler;
    this.isAsync = isAsyncFunction(handler);
    const mode = handler[HANDLER_STREAMING];
    if (mode === undefined || mode === null || mode === false) {
      this.handleOnce = this.handleOnceNonStreaming.bind(this);
    } else if (mode === STREAM_RESPONSE) {
      const hwm = parseInt(handler[HANDLER_HIGHWATERMARK]);
      this.highWaterMark = Number.isNaN(hwm) ? undefined : hwm;
      this.handleOnce = this.handleOnceStreaming.bind(this);
    } else {
      throw new MalformedStreamingHandler('Only response streaming is supported.');
    }
  }

  /**
   * A handler wrapped in awslambda.streamifyResponse: called as (event, responseStream, context) and must return a
   * promise. Bytes go to the server as they are written; the invocation ends once the promise has settled and the
   * stream has ended (a rejection, or a promise that settles with the stream still open, ends it with an error).
   */
  handleOnceStreaming(invoke, bodyJson) {
    const id = invoke.id;
    phase = 'busy';
    currentId = id;
    globalThis[REQUEST_ID] = id;
    const stream = new ResponseStream(id, this.highWaterMark);
    activeStream = stream;
    let settled = false;
    const end = (err) => {
      if (settled) return;
      settled = true;
      beforeExit = NO_OP;
      if (err !== undefined) {
        logError('Invoke Error', err);
        stream.fail(toRapidResponse(err), scheduleNext);
      } else {
        stream.finishResponse(scheduleNext);
      }
    };
    // Nothing left to run and the stream still open: the response can never finish (AWS's runtime fails it too).
    beforeExit = () => end(stream.writableFinished ? new NodeJsExit() : new Error('Response stream is not finished.'));
    let waitForEmptyEventLoop = true;
    const context = attachEnvironmentData(
      {
        get callbackWaitsForEmptyEventLoop() {
          return waitForEmptyEventLoop;
        },
        set callbackWaitsForEmptyEventLoop(value) {
          waitForEmptyEventLoop = value;
        },
      },
      invoke,
    );
    let result;
    try {
      result = this.handler(JSON.parse(bodyJson), stream, context);
    } catch (err) {
      return end(err);
    }
    if (!isPromise(result)) return end('Streaming does not support non-async handlers.');
    result.then(
      (value) => {
        if (value !== undefined) console.warn('Streaming handlers ignore return values.');
        if (stream.writableFinished) return end();
        // end() was called but 'finish' comes a tick later; a stream never ended fails at 'beforeExit' above, which
        // the open POST of the Runtime API must not hold off.
        stream.releaseLoop();
        stream.once('finish', () => end());
        stream.once('error', (err) => end(err));
      },
      (err) => end(err === undefined || err === null ? new Error('handled') : err),
    );
  }

  handleOnceNonStreaming(invoke, bodyJson) {
    const id = invoke.id;
    phase = 'busy';
    currentId = id;
    globalThis[REQUEST_ID] = id;

    const [callback, callbackContext, markCompleted, postError] = buildCallbackContext(id);
    const isAsync = this.isAsync;
    // A handler that never calls back: sync ones answer null once the loop is empty, async ones failed to settle.
    beforeExit = () => {
      markCompleted();
      if (isAsync) postError(new NodeJsExit());
      else {
        reportResult(id, 'null');
        scheduleNext();
      }
    };

    try {
      const result = this.handler(JSON.parse(bodyJson), attachEnvironmentData(callbackContext, invoke), callback);
      if (isPromise(result)) {
        result.then(callbackContext.succeed, callbackContext.fail).catch(callbackContext.fail);
      }
    } catch (err) {
      callback(err);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Response streaming: awslambda.streamifyResponse and awslambda.HttpResponseStream, as AWS's Node.js runtime offers them

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
/** One channel frame per MiB at most: the server refuses frames over 16 MiB, and smaller ones reach the client sooner. */
const STREAM_FRAME_BYTES = 1024 * 1024;
/** The stream of the invocation running now, if its handler streams. */
let activeStream = null;
let WritableClass = null;

function installAwsLambdaGlobal() {
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = parseInt(options.highWaterMark);
      return handler;
    },
    HttpResponseStream: class HttpResponseStream {
      /** Makes `stream` an HTTP response for function URLs: its JSON prelude, then 8 NUL bytes, before the body. */
      static from(stream, prelude) {
        stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
        // Stringified here: a NUL inside the prelude would end it early, and JSON escapes it.
        const json = JSON.stringify(prelude);
        stream._onBeforeFirstWrite = (write) => {
          write(json);
          write(new Uint8Array(8));
        };
        return stream;
      }
    },
  };
}

/**
 * The responseStream a streaming handler writes to: a node:stream Writable (pipeline() works) whose bytes go out as
 * they are written: channel frames, written synchronously, or the chunked body of one POST …/response over HTTP.
 * Defined on first use, so that a function that never streams does not load node:stream.
 */
function ResponseStreamClass() {
  if (WritableClass !== null) return WritableClass;
  const { Writable } = require('node:stream');
  WritableClass = class ResponseStream extends Writable {
    constructor(id, highWaterMark) {
      super(highWaterMark === undefined ? {} : { highWaterMark });
      this._id = id;
      this._contentType = 'application/octet-stream';
      this._begun = false;
      this._onBeforeFirstWrite = undefined;
      this._ended = false;
      this._req = null;
    }

    get id() {
      return this._id;
    }

    setContentType(contentType) {
      if (this._begun) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
      this._contentType = String(contentType);
    }

    write(chunk, encoding, callback) {
      // As AWS's: anything but a string or bytes is written as its JSON.
      if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
      this._begin();
      return super.write(chunk, encoding, callback);
    }

    /** Starts the response (its content type), and writes what HttpResponseStream.from asked to go first. */
    _begin() {
      if (this._begun) return;
      this._begun = true;
      if (USE_CHANNEL) send(JSON.stringify({ t: 'stream_start', id: this._id, contentType: this._contentType }));
      else this._open();
      if (typeof this._onBeforeFirstWrite === 'function') this._onBeforeFirstWrite((c) => this._send(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
    }

    _send(buf, callback) {
      if (this._ended) return callback && callback();
      if (USE_CHANNEL) {
        for (let off = 0; off < buf.length; off += STREAM_FRAME_BYTES) {
          send(`{"t":"stream","id":${JSON.stringify(this._id)}}`, buf.subarray(off, Math.min(buf.length, off + STREAM_FRAME_BYTES)));
        }
        if (callback) callback();
      } else if (buf.length > 0) {
        // The POST's socket applies backpressure: the next write waits until this one is handed to the kernel.
        this._req.write(buf, callback);
      } else if (callback) callback();
    }

    _write(chunk, _encoding, callback) {
      // end(chunk) writes without going through write() above.
      this._begin();
      this._send(chunk, () => callback());
    }

    _final(callback) {
      this._begin();
      callback();
    }

    /** Over HTTP: the one POST that carries the whole response, as AWS's runtime interface client sends it. */
    _open() {
      postsInFlight++;
      this._req = rapidStreamRequest(`/invocation/${encodeURIComponent(this._id)}/response`, this._contentType, () => {
        postsInFlight--;
        if (this._onAnswered) this._onAnswered();
        if (postsInFlight === 0 && afterPosts !== null) afterPosts();
      });
    }

    /** Over HTTP: the open POST no longer keeps the event loop alive (see handleOnceStreaming). */
    releaseLoop() {
      if (this._req === null) return;
      if (this._req.socket) this._req.socket.unref();
      else this._req.once('socket', (sock) => sock.unref());
    }

    _close(trailers, then) {
      if (this._ended) return then && then();
      this._ended = true;
      // Held open again until the server has answered (releaseLoop may have let go of it).
      if (this._req !== null && this._req.socket) this._req.socket.ref();
      if (activeStream === this) activeStream = null;
      if (USE_CHANNEL) {
        if (trailers) send(JSON.stringify({ t: 'stream_error', id: this._id, errorType: trailers.errorType }), serialize(trailers));
        else send(`{"t":"stream_end","id":${JSON.stringify(this._id)}}`);
        if (then) then();
        return;
      }
      if (trailers) {
        this._req.addTrailers({
          'Lambda-Runtime-Function-Error-Type': headerValue(trailers.errorType),
          'Lambda-Runtime-Function-Error-Body': Buffer.from(serialize(trailers)).toString('base64'),
        });
      }
      // The next invocation is asked for once the server has taken this response in (as after any other POST).
      this._onAnswered = then;
      this._req.end();
    }

    /** The response is complete: the stream has ended and the handler's promise has settled. */
    finishResponse(then) {
      this._begin();
      this._close(null, then);
    }

    /** Ends the response with an error (the invoker's InvokeComplete carries it), whatever was written before. */
    fail(payload, then) {
      this._begin();
      this._close(payload, then);
    }
  };
  return WritableClass;
}

function ResponseStream(id, highWaterMark) {
  const C = ResponseStreamClass();
  return new C(id, highWaterMark);
}

let runtime;

/** The rehearsal under way (rehearse()), if any: its result frame goes nowhere and nothing waits for a next invoke. */
let rehearsal = null;
/** A standby waiting for its function: what to do with the `specialize` frame. */
let specializing = null;

/**
 * A prebooted standby runs one invocation of its own (an echo) before it waits for its function, through the same
 * path a real one takes: frame parsing, context, handler call, serialisation, result frame (written nowhere). V8
 * compiles functions on their first call; without this, the function's first invoke paid that (~2 ms) after its 'ready'.
 */
function rehearse() {
  return new Promise((resolve) => {
    rehearsal = { done: resolve };
    runtime = new Runtime(async (event) => event);
    phase = 'idle';
    const invoke = { t: 'invoke', id: 'rehearsal', deadlineMs: Date.now() + 60_000, arn: 'arn:aws:lambda:us-east-1:000000000000:function:rehearsal' };
    onChunk(encode(JSON.stringify(invoke), '{"rehearsal":true}'));
  }).finally(() => {
    rehearsal = null;
    runtime = undefined;
    phase = 'init';
    currentId = null;
    globalThis[REQUEST_ID] = undefined;
    beforeExit = NO_OP;
  });
}

async function main() {
  if (PREBOOTED) {
    await rehearse();
    await awaitSpecialize();
  }
  adoptEnvironment();
  installAwsLambdaGlobal();
  // `alonzo dev --debug`: the process runs under --inspect; the handler's module loads once a debugger is attached
  // and said go (Runtime.runIfWaitingForDebugger), so that breakpoints set by file name bind as it loads.
  const debugWait = process.env.ALONZO_DEBUG_WAIT === '1';
  delete process.env.ALONZO_DEBUG_WAIT;
  if (debugWait && require('node:inspector').url()) require('node:inspector').waitForDebugger();
  let handler;
  try {
    handler = await loadHandler(TASK_ROOT, HANDLER);
    runtime = new Runtime(handler);
  } catch (err) {
    // AWS reports load failures through its uncaught-exception path; the log line says so too.
    logError('Uncaught Exception', err);
    fatal(err, EXIT_INIT_ERROR);
    return;
  }
  if (exiting) return;
  reportReady();
  phase = 'idle';
  waitForInvoke();
}

main().catch((err) => {
  process._rawDebug(`alonzo bootstrap: ${err && err.stack}`);
  process.exit(EXIT_PROTOCOL);
});
