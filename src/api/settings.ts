// Validation of the function settings shared by CreateFunction and UpdateFunctionConfiguration, with AWS's messages.
import { err, validation } from '../core/errors.js';
import { RUNNABLE } from '../core/runtimes.js';
import { obj, int, str, notNull } from './body.js';
import type { VersionSettings } from '../store/types.js';

/** AWS's runtime enum, in the order its message lists it. */
export const RUNTIME_ENUM = ['nodejs20.x', 'python3.14', 'provided.al2023', 'python3.12', 'python3.13', 'nodejs24.x', 'nodejs22.x', 'java25', 'python3.10', 'python3.11', 'java21', 'ruby3.3', 'ruby3.4', 'ruby3.2', 'python3.8', 'python3.9', 'java17', 'nodejs16.x', 'dotnet10', 'dotnet8', 'java11', 'dotnet6', 'nodejs18.x', 'provided.al2', 'java8.al2'];
export const DEPRECATED_RUNTIMES = ['java8', 'go1.x', 'provided', 'ruby2.7', 'nodejs14.x', 'python3.7', 'dotnetcore3.1', 'nodejs12.x', 'nodejs10.x', 'nodejs8.10', 'python3.6', 'python2.7', 'dotnetcore2.1', 'ruby2.5', 'nodejs16.x', 'python3.8', 'dotnet6'];

/** Variables Lambda sets itself and refuses to take from the configuration (AWS docs, "Defined runtime environment variables"). */
const RESERVED_ENV = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];

const ROLE_PATTERN = 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+';
const ROLE_RE = new RegExp(`^(?:${ROLE_PATTERN})$`);
const HANDLER_PATTERN = '[^\\s]+';


/** A function's role must be of its own account: AWS refuses to pass another account's role (403). */
export function checkRoleAccount(s: { account: { accountId: string } }, role: string): void {
  const owner = /^arn:[^:]*:iam::(\d{12}):/.exec(role)?.[1];
  if (owner !== undefined && owner !== s.account.accountId) throw err('AccessDeniedException', 'Cross-account pass role is not allowed.');
}

function checkRuntime(rt: string): void {
  if (DEPRECATED_RUNTIMES.includes(rt) && !RUNNABLE.includes(rt)) {
    throw err('InvalidParameterValueException', `The runtime parameter of ${rt} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
  }
  if (!RUNTIME_ENUM.includes(rt)) {
    throw err('InvalidParameterValueException', `Value ${rt} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${RUNTIME_ENUM.join(', ')}] or be a valid ARN`);
  }
  if (!RUNNABLE.includes(rt)) {
    throw err('InvalidParameterValueException', `The runtime ${rt} cannot run on Alonzo. Supported runtimes: ${RUNNABLE.join(', ')}.`);
  }
}

/**
 * Reads and validates the settings present in a Create/UpdateFunctionConfiguration body, merged over `base`.
 * Validation happens fully before anything is stored.
 */
export function readSettings(body: Record<string, unknown>, base: VersionSettings, functionName: string): VersionSettings {
  const s: VersionSettings = structuredClone(base);
  const role = str(body, 'Role');
  if (role !== undefined) {
    if (!ROLE_RE.test(role)) throw validation(role, 'role', `Member must satisfy regular expression pattern: ${ROLE_PATTERN}`);
    s.Role = role;
  }
  const runtime = str(body, 'Runtime');
  if (runtime !== undefined) {
    checkRuntime(runtime);
    s.Runtime = runtime;
  }
  const handler = str(body, 'Handler');
  if (handler !== undefined) {
    if (handler.length > 128) throw validation(handler, 'handler', 'Member must have length less than or equal to 128');
    if (!/^[^\s]+$/.test(handler)) throw validation(handler, 'handler', `Member must satisfy regular expression pattern: ${HANDLER_PATTERN}`);
    s.Handler = handler;
  }
  const description = str(body, 'Description');
  if (description !== undefined) {
    if (description.length > 256) throw validation(description, 'description', 'Member must have length less than or equal to 256');
    s.Description = description;
  }
  const timeout = int(body, 'Timeout');
  if (timeout !== undefined) {
    if (timeout < 1) throw validation(timeout, 'timeout', 'Member must have value greater than or equal to 1');
    if (timeout > 900) throw validation(timeout, 'timeout', 'Member must have value less than or equal to 900');
    s.Timeout = timeout;
  }
  const memory = int(body, 'MemorySize');
  if (memory !== undefined) {
    if (memory < 128) throw validation(memory, 'memorySize', 'Member must have value greater than or equal to 128');
    if (memory > 10240) throw validation(memory, 'memorySize', 'Member must have value less than or equal to 10240');
    s.MemorySize = memory;
  }
  const env = obj(body, 'Environment');
  if (env !== undefined) {
    const vars = (env.Variables ?? {}) as Record<string, unknown>;
    if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) throw err('InvalidRequestContentException', 'Could not parse request body into json: Environment.Variables must be a map');
    for (const [k, v] of Object.entries(vars)) {
      if (typeof v !== 'string') throw err('InvalidRequestContentException', `Could not parse request body into json: Environment variable ${k} must be a string`);
      // The variables are a sensitive member: AWS's message names no value ("Value at 'environment.variables'…").
      if (!/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(k)) {
        throw err('ValidationException', "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
      }
    }
    const reserved = Object.keys(vars).filter((k) => RESERVED_ENV.includes(k));
    if (reserved.length) {
      throw err('InvalidParameterValueException', `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`);
    }
    const measured = JSON.stringify(vars);
    if (Buffer.byteLength(measured) > 4096) {
      throw err('InvalidParameterValueException', `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`);
    }
    s.Environment = { Variables: vars as Record<string, string> };
  }
  const dlq = obj(body, 'DeadLetterConfig');
  if (dlq !== undefined) {
    const target = str(dlq, 'TargetArn');
    if (target === undefined || target === '') delete s.DeadLetterConfig;
    else {
      if (!/^arn:(aws[a-zA-Z-]*)?:(sqs|sns):[a-z0-9-]+:\d{12}:.+$/.test(target)) {
        throw err('InvalidParameterValueException', 'The provided target arn is invalid. It must be an SQS queue or SNS topic ARN.');
      }
      s.DeadLetterConfig = { TargetArn: target };
    }
  }
  if (body.Architectures !== undefined && body.Architectures !== null) {
    const arch = body.Architectures;
    if (!Array.isArray(arch)) throw err('InvalidRequestContentException', 'Could not parse request body into json: Architectures must be a list');
    if (arch.length > 1) throw validation(`[${arch.join(', ')}]`, 'architectures', 'Member must have length less than or equal to 1');
    if (arch.length < 1) throw validation('[]', 'architectures', 'Member must have length greater than or equal to 1');
    if (!['x86_64', 'arm64'].includes(arch[0])) {
      throw validation(`[${arch.join(', ')}]`, 'architectures', 'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]');
    }
    s.Architectures = [arch[0]];
  }
  const eph = obj(body, 'EphemeralStorage');
  if (eph !== undefined) {
    const size = int(eph, 'Size');
    if (size === undefined) throw notNull('ephemeralStorage.size');
    if (size < 512) throw validation(size, 'ephemeralStorage.size', 'Member must have value greater than or equal to 512');
    if (size > 10240) throw validation(size, 'ephemeralStorage.size', 'Member must have value less than or equal to 10240');
    s.EphemeralStorage = { Size: size };
  }
  const tracing = obj(body, 'TracingConfig');
  if (tracing !== undefined) {
    const mode = str(tracing, 'Mode') ?? 'PassThrough';
    if (!['Active', 'PassThrough'].includes(mode)) throw validation(mode, 'tracingConfig.mode', 'Member must satisfy enum value set: [Active, PassThrough]');
    s.TracingConfig = { Mode: mode };
  }
  const logging = obj(body, 'LoggingConfig');
  if (logging !== undefined) s.LoggingConfig = readLoggingConfig(logging, s.LoggingConfig);
  if (s.LoggingConfig.LogGroup === '') s.LoggingConfig.LogGroup = `/aws/lambda/${functionName}`;
  return s;
}

const LOG_FORMATS = ['JSON', 'Text'];
const APPLICATION_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const SYSTEM_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN'];
const LOG_GROUP_PATTERN = '[\\.\\-_/#A-Za-z0-9]+';
const LOG_GROUP_RE = new RegExp(`^(?:${LOG_GROUP_PATTERN})$`);

/**
 * A LoggingConfig merged over the current one, as AWS keeps it (oracle api-logging-recursion.snapshot.json): the
 * members not sent are kept; the JSON format fills both log levels with INFO unless given; Text has no levels, so
 * switching back to Text removes them. A level sent with the Text format is refused, with AWS's message as CloudFormation
 * relays it (aws/aws-cdk#28045). The enums are listed in the model's order (AWS's own order for these is not recorded).
 */
function readLoggingConfig(logging: Record<string, unknown>, current: VersionSettings['LoggingConfig']): VersionSettings['LoggingConfig'] {
  const next = { ...current };
  const fmt = str(logging, 'LogFormat');
  if (fmt !== undefined) {
    if (!LOG_FORMATS.includes(fmt)) throw validation(fmt, 'loggingConfig.logFormat', `Member must satisfy enum value set: [${LOG_FORMATS.join(', ')}]`);
    next.LogFormat = fmt;
  }
  const app = str(logging, 'ApplicationLogLevel');
  if (app !== undefined && !APPLICATION_LOG_LEVELS.includes(app)) {
    throw validation(app, 'loggingConfig.applicationLogLevel', `Member must satisfy enum value set: [${APPLICATION_LOG_LEVELS.join(', ')}]`);
  }
  const sys = str(logging, 'SystemLogLevel');
  if (sys !== undefined && !SYSTEM_LOG_LEVELS.includes(sys)) {
    throw validation(sys, 'loggingConfig.systemLogLevel', `Member must satisfy enum value set: [${SYSTEM_LOG_LEVELS.join(', ')}]`);
  }
  const group = str(logging, 'LogGroup');
  if (group !== undefined && group !== '') {
    if (group.length > 512) throw validation(group, 'loggingConfig.logGroup', 'Member must have length less than or equal to 512');
    if (!LOG_GROUP_RE.test(group)) throw validation(group, 'loggingConfig.logGroup', `Member must satisfy regular expression pattern: ${LOG_GROUP_PATTERN}`);
  }
  if (group !== undefined) next.LogGroup = group;
  if (next.LogFormat !== 'JSON') {
    if (app !== undefined || sys !== undefined) {
      throw err('InvalidParameterValueException', 'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.');
    }
    delete next.ApplicationLogLevel;
    delete next.SystemLogLevel;
    return next;
  }
  next.ApplicationLogLevel = app ?? next.ApplicationLogLevel ?? 'INFO';
  next.SystemLogLevel = sys ?? next.SystemLogLevel ?? 'INFO';
  return next;
}

export function defaultSettings(functionName: string): VersionSettings {
  return {
    Role: '',
    Description: '',
    Timeout: 3,
    MemorySize: 128,
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
    TracingConfig: { Mode: 'PassThrough' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${functionName}` },
    PackageType: 'Zip',
  };
}
