// Reads a SAM (or plain CloudFormation) template into what `alonzo dev` deploys: functions, local layers and API routes.
//
// Only the part of CloudFormation a local run needs is evaluated: the properties of functions and layers, with `Ref`,
// `Fn::Sub`, `Fn::GetAtt` (Arn), `Fn::Join`, `Fn::If` with `Conditions` (and resources' `Condition`), `Fn::Select`,
// `Fn::Split`, `Fn::FindInMap` with `Mappings`, `Fn::Base64`, `Fn::GetAZs` and `Parameters`. Anything else met there is a TemplateError that names
// where it is and what to write instead; `Outputs` and other resources are not evaluated (they may use what is not
// supported here without stopping a local run).
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import type { ScalarTag, CollectionTag } from 'yaml';

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

export interface DevLayer {
  logicalId: string;
  /** LayerName, else the logical id. */
  name: string;
  /** The folder whose contents become the layer (zipped at publish: layers are not served from the folder). */
  contentDir: string;
  compatibleRuntimes?: string[];
  description?: string;
}

export interface DevRoute {
  /** `Api`: API Gateway REST API, payload 1.0; `HttpApi`: HTTP API, payload 2.0 (unless PayloadFormatVersion says 1.0). */
  kind: 'Api' | 'HttpApi';
  /** Upper case; `ANY` matches every method. */
  method: string;
  /** As written, e.g. `/hello/{name}` or `/files/{proxy+}`; `$default` for an HttpApi event without Path. */
  path: string;
  functionName: string;
  payloadVersion: '1.0' | '2.0';
  /** The logical id of the explicit AWS::Serverless::Api (RestApiId) the event belongs to; else SAM's implicit API. */
  api?: string;
  /** The REST API's stage (its StageName; `Prod` for SAM's implicit API): requestContext.stage and .path. */
  stage?: string;
}

export interface DevFunction {
  logicalId: string;
  name: string;
  /** The folder served at /var/task (CodeUri, or a local path as Code). */
  codeDir: string;
  handler: string;
  runtime: string;
  memorySize?: number;
  timeout?: number;
  variables?: Record<string, string>;
  architectures?: string[];
  role: string;
  /** Layer version ARNs, in order (local layers as published). */
  layers: string[];
  /** Local layers used (by logical id): a change in their folder publishes them again. */
  localLayers: string[];
  url?: { AuthType: string; Cors?: Record<string, unknown>; InvokeMode?: string };
  routes: DevRoute[];
  /** Metadata.BuildMethod (esbuild, makefile…): `sam build` would build the folder first; alonzo dev does not. */
  buildMethod?: string;
}

export interface DevTemplate {
  file: string;
  layers: DevLayer[];
  /** The functions, with local layers' ARNs as given (publish the layers first). */
  functions(layerArns: Map<string, string>): DevFunction[];
  /** What the last functions() call resolved in a way worth saying (resources alonzo dev does not create). */
  notes(): string[];
}

export interface TemplateContext {
  region: string;
  accountId: string;
  /** --parameter-overrides. */
  parameters: Record<string, string>;
}

const FN_TAGS = ['Sub', 'GetAtt', 'Join', 'If', 'Select', 'Split', 'FindInMap', 'Base64', 'GetAZs', 'ImportValue', 'Equals', 'And', 'Or', 'Not', 'Cidr', 'Transform', 'ToJsonString', 'Length'];

/** CloudFormation's short forms (`!Ref X`, `!Sub …`, `!GetAtt A.B`) as the long forms they stand for. */
function cloudFormationTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [
    { tag: '!Ref', resolve: (v: string) => ({ Ref: v }) },
    { tag: '!Condition', resolve: (v: string) => ({ Condition: v }) },
  ];
  for (const n of FN_TAGS) {
    const key = `Fn::${n}`;
    tags.push({ tag: `!${n}`, resolve: (v: string) => ({ [key]: n === 'GetAtt' ? v.split('.') : v }) });
    tags.push({ tag: `!${n}`, collection: 'seq', resolve: (v: { toJSON(): unknown }) => ({ [key]: v.toJSON() }) } as CollectionTag);
    tags.push({ tag: `!${n}`, collection: 'map', resolve: (v: { toJSON(): unknown }) => ({ [key]: v.toJSON() }) } as CollectionTag);
  }
  return tags;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A value the template leaves out (`!Ref AWS::NoValue`): the property is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

export function parseTemplate(file: string): Obj {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TemplateError(`Cannot read the template ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, 'Run alonzo dev in your SAM project, or give its template with --template FILE.');
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text, { customTags: cloudFormationTags(), prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new TemplateError(`The template ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, 'Fix the YAML (JSON templates are YAML too).');
  }
  if (!isObj(doc) || !isObj(doc.Resources)) throw new TemplateError(`The template ${file} has no Resources section.`, 'A SAM template declares its functions under Resources.');
  if (doc['{{ cookiecutter.project_name }}'] !== undefined || /\{%|\{\{\s*cookiecutter/.test(text)) {
    throw new TemplateError(`The template ${file} is a cookiecutter template (it has {{ … }} / {% … %}).`, 'Generate the project first (sam init), then run alonzo dev in it.');
  }
  return doc;
}

export function readTemplate(file: string, ctx: TemplateContext): DevTemplate {
  const abs = resolve(file);
  const doc = parseTemplate(abs);
  const base = dirname(abs);
  const resources = doc.Resources as Obj;
  const stackName = 'alonzo-dev';
  const params = parameters(doc, ctx.parameters);
  const globals = isObj(doc.Globals) && isObj(doc.Globals.Function) ? (doc.Globals.Function as Obj) : {};
  if (isObj(doc.Globals)) {
    for (const k of Object.keys(doc.Globals)) {
      if (!['Function', 'Api', 'HttpApi', 'LayerVersion', 'SimpleTable', 'StateMachine'].includes(k)) throw new TemplateError(`Globals.${k} is not a SAM Globals section.`, 'Globals takes Function, Api, HttpApi…');
    }
  }
  const kinds = new Map<string, string>();
  for (const [id, r] of Object.entries(resources)) if (isObj(r) && typeof r.Type === 'string') kinds.set(id, r.Type);
  const functionNames = new Map<string, string>();
  const notes = new Set<string>();
  for (const [id, type] of kinds) {
    if (type !== 'AWS::Serverless::Function' && type !== 'AWS::Lambda::Function') continue;
    const props = isObj((resources[id] as Obj).Properties) ? ((resources[id] as Obj).Properties as Obj) : {};
    const fnName = props.FunctionName;
    if (fnName !== undefined && typeof fnName !== 'string' && !isObj(fnName)) throw new TemplateError(`Resources.${id}.Properties.FunctionName must be a string.`);
    functionNames.set(id, id);
  }

  const arnOf = (name: string) => `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;
  const mappings: Obj = isObj(doc.Mappings) ? doc.Mappings : {};
  const conditions: Obj = isObj(doc.Conditions) ? doc.Conditions : {};
  const conditionValues = new Map<string, boolean>();
  /** Whether a resource exists in this run: its Condition attribute, if any, holds. */
  const present = (id: string): boolean => {
    const c = (resources[id] as Obj).Condition;
    if (c === undefined) return true;
    if (typeof c !== 'string') throw new TemplateError(`Resources.${id}.Condition must be the name of a condition.`);
    return makeResolver(undefined).condition(c, `Resources.${id}.Condition`);
  };
  const makeResolver = (layerArns: Map<string, string> | undefined) => {
    const ref = (name: string, where: string): string | typeof NO_VALUE => {
      if (name === 'AWS::NoValue') return NO_VALUE;
      const pseudo: Record<string, string> = {
        'AWS::Region': ctx.region,
        'AWS::AccountId': ctx.accountId,
        'AWS::StackName': stackName,
        'AWS::StackId': `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
      };
      if (name in pseudo) return pseudo[name];
      if (params.has(name)) return params.get(name)!;
      const type = kinds.get(name);
      if (type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function') return functionNames.get(name)!;
      if (type === 'AWS::Serverless::LayerVersion' || type === 'AWS::Lambda::LayerVersion') {
        const arn = layerArns?.get(name);
        if (!arn) throw new TemplateError(`${where}: the layer ${name} is referred to where its ARN is not known yet.`, 'Refer to layers only from a function\'s Layers.');
        return arn;
      }
      // An API of the template: its logical id (the events' RestApiId / ApiId refer to it; routes are served on one port).
      if (type === 'AWS::Serverless::Api' || type === 'AWS::Serverless::HttpApi') return name;
      // Another resource (a table, a bucket, a queue…): not created locally. Its Ref stands for the name it is given in
      // the template, else its logical id — what a local stand-in (DynamoDB Local, MinIO…) would be set up with.
      if (type) {
        const props = (resources[name] as Obj).Properties;
        const nameProp = isObj(props) ? Object.entries(props).find(([k, v]) => /^(TableName|BucketName|QueueName|TopicName|Name|StreamName)$/.test(k) && typeof v === 'string') : undefined;
        const standIn = nameProp ? (nameProp[1] as string) : name;
        notes.add(`Ref to ${name} (${type}) stands for '${standIn}': alonzo dev does not create it; point the function at a local stand-in or a real one.`);
        return standIn;
      }
      throw new TemplateError(`${where}: Ref to ${name}, which is neither a parameter nor a resource of the template.`, 'Declare it under Parameters or Resources.');
    };
    const getAtt = (target: Json, where: string): string => {
      const [id, attr] = Array.isArray(target) ? target : typeof target === 'string' ? target.split('.') : [];
      if (typeof id !== 'string' || typeof attr !== 'string') throw new TemplateError(`${where}: Fn::GetAtt takes Resource.Attribute.`);
      const type = kinds.get(id);
      if ((type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function') && attr === 'Arn') return arnOf(functionNames.get(id)!);
      // A role's ARN (what AWS::Lambda::Function's Role usually is): Alonzo checks a role's form, not its policies.
      if (type === 'AWS::IAM::Role' && attr === 'Arn') {
        const props = (resources[id] as Obj).Properties;
        const roleName = isObj(props) && typeof props.RoleName === 'string' ? props.RoleName : id;
        return `arn:aws:iam::${ctx.accountId}:role/${roleName}`;
      }
      throw new TemplateError(`${where}: Fn::GetAtt ${id}.${attr} is not supported by alonzo dev.`, 'alonzo dev resolves GetAtt <Function>.Arn and <Role>.Arn; write the value itself here.');
    };
    const sub = (arg: Json, where: string): string => {
      const [text, given] = Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [arg, {}];
      if (typeof text !== 'string' || !isObj(given)) throw new TemplateError(`${where}: Fn::Sub takes a string, or [string, {variables}].`);
      const vars: Obj = given;
      return text.replace(/\$\{(!?)([^}]*)\}/g, (_whole, bang: string, name: string) => {
        if (bang) return `\${${name}}`;
        if (name in vars) return String(value(vars[name], `${where}.${name}`));
        if (name.includes('.') && !name.startsWith('AWS::')) return getAtt(name, where);
        const r = ref(name, where);
        return r === NO_VALUE ? '' : r;
      });
    };
    const value = (v: Json, where: string): Json | typeof NO_VALUE => {
      if (Array.isArray(v)) return v.map((x, i) => value(x, `${where}[${i}]`)).filter((x): x is Json => x !== NO_VALUE);
      if (!isObj(v)) return v;
      const keys = Object.keys(v);
      if (keys.length === 1) {
        const k = keys[0];
        if (k === 'Ref') {
          if (typeof v.Ref !== 'string') throw new TemplateError(`${where}: Ref takes a name.`);
          return ref(v.Ref, where);
        }
        if (k === 'Fn::Sub') return sub(v[k], where);
        if (k === 'Fn::GetAtt') return getAtt(v[k], where);
        if (k === 'Fn::Join') {
          const a = v[k];
          if (!Array.isArray(a) || typeof a[0] !== 'string' || !Array.isArray(value(a[1], where))) throw new TemplateError(`${where}: Fn::Join takes [separator, [values]].`);
          return (value(a[1], where) as Json[]).map(String).join(a[0]);
        }
        if (k === 'Fn::If') {
          const a = v[k];
          if (!Array.isArray(a) || a.length !== 3 || typeof a[0] !== 'string') throw new TemplateError(`${where}: Fn::If takes [condition, value if true, value if false].`);
          return value(condition(a[0], where) ? a[1] : a[2], where);
        }
        if (k === 'Fn::Select') {
          const a = v[k];
          const list = Array.isArray(a) && a.length === 2 ? value(a[1], where) : undefined;
          const i = Array.isArray(a) ? Number(value(a[0], where)) : NaN;
          if (!Array.isArray(list) || !Number.isInteger(i)) throw new TemplateError(`${where}: Fn::Select takes [index, [values]].`);
          if (i < 0 || i >= list.length) throw new TemplateError(`${where}: Fn::Select index ${i} is outside the list (${list.length} values).`);
          return list[i];
        }
        if (k === 'Fn::Split') {
          const a = v[k];
          const text = Array.isArray(a) && a.length === 2 ? value(a[1], where) : undefined;
          if (!Array.isArray(a) || typeof a[0] !== 'string' || typeof text !== 'string') throw new TemplateError(`${where}: Fn::Split takes [delimiter, string].`);
          return text.split(a[0]);
        }
        if (k === 'Fn::FindInMap') {
          const a = v[k];
          const keys3 = Array.isArray(a) && a.length === 3 ? a.map((x) => value(x, where)) : [];
          if (keys3.length !== 3 || keys3.some((x) => typeof x !== 'string')) throw new TemplateError(`${where}: Fn::FindInMap takes [map, top-level key, second-level key].`);
          const [m, top, second] = keys3 as string[];
          const found = isObj(mappings[m]) && isObj((mappings[m] as Obj)[top]) ? ((mappings[m] as Obj)[top] as Obj)[second] : undefined;
          if (found === undefined) throw new TemplateError(`${where}: Fn::FindInMap: Mappings has no ${m}.${top}.${second}.`, 'Add it under Mappings, or fix the keys.');
          return found;
        }
        if (k === 'Fn::Base64') {
          const text = value(v[k], where);
          if (typeof text !== 'string') throw new TemplateError(`${where}: Fn::Base64 takes a string.`);
          return Buffer.from(text).toString('base64');
        }
        if (k === 'Fn::GetAZs') return ['a', 'b', 'c'].map((z) => `${ctx.region}${z}`);
        if (k.startsWith('Fn::') || k === 'Condition') {
          throw new TemplateError(`${where}: ${k} is not supported by alonzo dev.`, 'alonzo dev resolves Ref, Fn::Sub, Fn::GetAtt (Arn), Fn::Join, Fn::If, Fn::Select, Fn::Split, Fn::FindInMap, Fn::Base64 and Fn::GetAZs; write the value itself here, or pass it as a parameter (--parameter-overrides).');
        }
      }
      const out: Obj = {};
      for (const [key, x] of Object.entries(v)) {
        const r = value(x, `${where}.${key}`);
        if (r !== NO_VALUE) out[key] = r;
      }
      return out;
    };
    /** A condition of the Conditions section (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition), evaluated once. */
    const condition = (name: string, where: string, seen: string[] = []): boolean => {
      if (conditionValues.has(name)) return conditionValues.get(name)!;
      if (!(name in conditions)) throw new TemplateError(`${where}: the condition ${name} is not declared under Conditions.`, 'Declare it under Conditions.');
      if (seen.includes(name)) throw new TemplateError(`Conditions.${name} refers to itself (${[...seen, name].join(' → ')}).`);
      const test = (c: Json, at: string): boolean => {
        if (!isObj(c) || Object.keys(c).length !== 1) throw new TemplateError(`${at}: a condition is one of Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition.`);
        const [op, arg] = Object.entries(c)[0];
        if (op === 'Condition' && typeof arg === 'string') return condition(arg, at, [...seen, name]);
        if (!Array.isArray(arg)) throw new TemplateError(`${at}: ${op} takes a list.`);
        if (op === 'Fn::Equals' && arg.length === 2) return JSON.stringify(value(arg[0], at)) === JSON.stringify(value(arg[1], at));
        if (op === 'Fn::Not' && arg.length === 1) return !test(arg[0], at);
        if (op === 'Fn::And' && arg.length >= 2) return arg.every((x) => test(x, at));
        if (op === 'Fn::Or' && arg.length >= 2) return arg.some((x) => test(x, at));
        throw new TemplateError(`${at}: ${op} is not a condition function alonzo dev knows (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition).`);
      };
      const result = test(conditions[name], `Conditions.${name}`);
      conditionValues.set(name, result);
      return result;
    };
    const resolveValue = (v: Json, where: string): Json | undefined => {
      const r = value(v, where);
      return r === NO_VALUE ? undefined : r;
    };
    return Object.assign(resolveValue, { condition });
  };

  const layers: DevLayer[] = [];
  const layerResolve = makeResolver(undefined);
  for (const [id, type] of kinds) {
    if (!present(id)) continue;
    if (type === 'AWS::Lambda::LayerVersion') throw new TemplateError(`Resources.${id}: AWS::Lambda::LayerVersion is not supported by alonzo dev.`, 'Declare it as AWS::Serverless::LayerVersion with a local ContentUri.');
    if (type !== 'AWS::Serverless::LayerVersion') continue;
    const where = `Resources.${id}.Properties`;
    const props = (layerResolve((resources[id] as Obj).Properties ?? {}, where) ?? {}) as Obj;
    if (typeof props.ContentUri !== 'string') throw new TemplateError(`${where}.ContentUri must be a local folder.`, 'alonzo dev publishes layers from a folder of the project (not from S3).');
    layers.push({
      logicalId: id,
      name: typeof props.LayerName === 'string' ? props.LayerName : id,
      contentDir: folder(base, props.ContentUri, `${where}.ContentUri`),
      ...(Array.isArray(props.CompatibleRuntimes) ? { compatibleRuntimes: props.CompatibleRuntimes.map(String) } : {}),
      ...(typeof props.Description === 'string' ? { description: props.Description } : {}),
    });
  }

  const functions = (layerArns: Map<string, string>): DevFunction[] => {
    notes.clear();
    const resolveValue = makeResolver(layerArns);
    const out: DevFunction[] = [];
    for (const [id, type] of kinds) {
      if (type !== 'AWS::Serverless::Function' && type !== 'AWS::Lambda::Function') continue;
      if (!present(id)) continue;
      const where = `Resources.${id}.Properties`;
      const raw = isObj((resources[id] as Obj).Properties) ? ((resources[id] as Obj).Properties as Obj) : {};
      const sam = type === 'AWS::Serverless::Function';
      const merged = sam ? mergeGlobals(globals, raw) : raw;
      const p = (resolveValue(merged, where) ?? {}) as Obj;
      const f = sam ? samFunction(id, p, where, base, ctx) : lambdaFunction(id, p, where, base, ctx);
      const meta = (resources[id] as Obj).Metadata;
      if (isObj(meta) && typeof meta.BuildMethod === 'string') f.buildMethod = meta.BuildMethod;
      for (const r of f.routes) {
        if (r.kind !== 'Api') continue;
        const apiProps = r.api && kinds.get(r.api) === 'AWS::Serverless::Api' ? (resources[r.api] as Obj).Properties : undefined;
        const stage = isObj(apiProps) ? resolveValue(apiProps.StageName ?? 'Prod', `Resources.${r.api}.Properties.StageName`) : 'Prod';
        r.stage = typeof stage === 'string' ? stage : 'Prod';
      }
      f.localLayers = [...layerArns].filter(([, arn]) => f.layers.includes(arn)).map(([layerId]) => layerId);
      out.push(f);
    }
    return out;
  };
  // FunctionName is honoured: Refs to a function then give that name.
  for (const [id] of functionNames) {
    const raw = (resources[id] as Obj).Properties;
    if (isObj(raw) && raw.FunctionName !== undefined) {
      const n = makeResolver(undefined)(raw.FunctionName, `Resources.${id}.Properties.FunctionName`);
      if (typeof n !== 'string') throw new TemplateError(`Resources.${id}.Properties.FunctionName must be a string.`);
      functionNames.set(id, n);
    }
  }
  return { file: abs, layers, functions, notes: () => [...notes] };
}

/** Parameters with their Default, overridden by --parameter-overrides; a parameter without either is an error. */
function parameters(doc: Obj, overrides: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const declared = isObj(doc.Parameters) ? (doc.Parameters as Obj) : {};
  for (const k of Object.keys(overrides)) {
    if (!(k in declared)) throw new TemplateError(`--parameter-overrides names ${k}, which the template does not declare.`, `Parameters: ${Object.keys(declared).join(', ') || '(none)'}.`);
  }
  for (const [k, decl] of Object.entries(declared)) {
    const d = isObj(decl) ? decl : {};
    const v = overrides[k] ?? (d.Default === undefined ? undefined : Array.isArray(d.Default) ? d.Default.join(',') : String(d.Default));
    if (v === undefined) throw new TemplateError(`The parameter ${k} has no Default and no value.`, `Give it one: alonzo dev --parameter-overrides ${k}=VALUE`);
    if (Array.isArray(d.AllowedValues) && !d.AllowedValues.map(String).includes(v)) throw new TemplateError(`The parameter ${k} is ${v}, not one of its AllowedValues (${d.AllowedValues.join(', ')}).`);
    out.set(k, v);
  }
  return out;
}

/** SAM's Globals: maps merge (Environment.Variables too), anything else the function's own value replaces. */
function mergeGlobals(g: Json, own: Json): Json {
  if (isObj(g) && isObj(own)) {
    const out: Obj = { ...g };
    for (const [k, v] of Object.entries(own)) out[k] = k in g ? mergeGlobals(g[k], v) : v;
    return out;
  }
  return own === undefined ? g : own;
}

function folder(base: string, uri: string, where: string): string {
  if (/^s3:\/\//.test(uri)) throw new TemplateError(`${where} is ${uri}: alonzo dev runs code from local folders.`, 'Point it at the project folder of the code (as sam build does).');
  const dir = isAbsolute(uri) ? uri : resolve(base, uri);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new TemplateError(`${where} is ${uri}, which does not exist (${dir}).`, 'Point it at a folder of the project.');
  }
  if (!st.isDirectory()) throw new TemplateError(`${where} is ${uri}, which is not a folder.`, 'alonzo dev serves code from a folder, not a zip.');
  return dir;
}

const str = (v: Json | undefined, where: string, required = false): string | undefined => {
  if (v === undefined || v === null) {
    if (required) throw new TemplateError(`${where} is required.`);
    return undefined;
  }
  if (typeof v !== 'string') throw new TemplateError(`${where} must be a string.`);
  return v;
};
const num = (v: Json | undefined, where: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TemplateError(`${where} must be a whole number.`);
  return n;
};

function variablesOf(env: Json | undefined, where: string): Record<string, string> | undefined {
  if (env === undefined) return undefined;
  if (!isObj(env) || (env.Variables !== undefined && !isObj(env.Variables))) throw new TemplateError(`${where}.Environment must be { Variables: { NAME: value } }.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((env.Variables ?? {}) as Obj)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

function common(id: string, p: Obj, where: string, codeDir: string, ctx: TemplateContext): DevFunction {
  const runtime = str(p.Runtime, `${where}.Runtime`, true)!;
  if (p.PackageType === 'Image') throw new TemplateError(`${where}.PackageType Image is not supported by alonzo dev.`, 'Alonzo runs Zip functions from a folder.');
  const layers = p.Layers === undefined ? [] : p.Layers;
  if (!Array.isArray(layers) || layers.some((l) => typeof l !== 'string')) throw new TemplateError(`${where}.Layers must be a list of layer version ARNs or !Ref to layers of the template.`);
  if (p.Architectures !== undefined && (!Array.isArray(p.Architectures) || p.Architectures.some((a) => typeof a !== 'string'))) throw new TemplateError(`${where}.Architectures must be a list.`);
  const role = typeof p.Role === 'string' ? p.Role : `arn:aws:iam::${ctx.accountId}:role/${id}Role`;
  return {
    logicalId: id,
    name: typeof p.FunctionName === 'string' ? p.FunctionName : id,
    codeDir,
    handler: str(p.Handler, `${where}.Handler`, true)!,
    runtime,
    memorySize: num(p.MemorySize, `${where}.MemorySize`),
    timeout: num(p.Timeout, `${where}.Timeout`),
    variables: variablesOf(p.Environment, where),
    architectures: p.Architectures as string[] | undefined,
    role,
    layers: layers as string[],
    localLayers: [],
    routes: [],
  };
}

function samFunction(id: string, p: Obj, where: string, base: string, ctx: TemplateContext): DevFunction {
  if (p.InlineCode !== undefined) throw new TemplateError(`${where}.InlineCode is not supported by alonzo dev.`, 'Put the code in a folder and name it with CodeUri.');
  const uri = str(p.CodeUri, `${where}.CodeUri`);
  if (uri === undefined) throw new TemplateError(`${where}.CodeUri is missing (or not a local folder).`, 'Give the folder of the function\'s code: CodeUri: hello-world/');
  const f = common(id, p, where, folder(base, uri, `${where}.CodeUri`), ctx);
  if (p.FunctionUrlConfig !== undefined) {
    const u = p.FunctionUrlConfig;
    if (!isObj(u) || typeof u.AuthType !== 'string') throw new TemplateError(`${where}.FunctionUrlConfig needs AuthType (NONE or AWS_IAM).`);
    f.url = { AuthType: u.AuthType, ...(isObj(u.Cors) ? { Cors: u.Cors } : {}), ...(typeof u.InvokeMode === 'string' ? { InvokeMode: u.InvokeMode } : {}) };
  }
  if (p.Events !== undefined) {
    if (!isObj(p.Events)) throw new TemplateError(`${where}.Events must be a map of events.`);
    for (const [name, ev] of Object.entries(p.Events)) {
      const w = `${where}.Events.${name}`;
      if (!isObj(ev) || typeof ev.Type !== 'string') throw new TemplateError(`${w} needs a Type.`);
      const props = isObj(ev.Properties) ? ev.Properties : {};
      if (ev.Type === 'Api') {
        const path = str(props.Path, `${w}.Properties.Path`, true)!;
        const method = str(props.Method, `${w}.Properties.Method`, true)!;
        f.routes.push({ kind: 'Api', method: method.toUpperCase(), path, functionName: f.name, payloadVersion: '1.0', ...(typeof props.RestApiId === 'string' ? { api: props.RestApiId } : {}) });
      } else if (ev.Type === 'HttpApi') {
        const path = str(props.Path, `${w}.Properties.Path`) ?? '$default';
        const method = (str(props.Method, `${w}.Properties.Method`) ?? 'ANY').toUpperCase();
        const v = str(props.PayloadFormatVersion as Json, `${w}.Properties.PayloadFormatVersion`) ?? '2.0';
        if (v !== '1.0' && v !== '2.0') throw new TemplateError(`${w}.Properties.PayloadFormatVersion must be 1.0 or 2.0.`);
        f.routes.push({ kind: 'HttpApi', method: method === '*' ? 'ANY' : method, path, functionName: f.name, payloadVersion: v });
      }
      // Other event sources (S3, SQS, Schedule…) have nothing to call them locally: ignored, and said so at start.
    }
  }
  return f;
}

function lambdaFunction(id: string, p: Obj, where: string, base: string, ctx: TemplateContext): DevFunction {
  if (typeof p.Code !== 'string') throw new TemplateError(`${where}.Code must be a local folder for alonzo dev (as \`aws cloudformation package\` takes it).`, 'Write Code: ./my-function-folder (S3 locations and ZipFile are not run locally).');
  return common(id, p, where, folder(base, p.Code, `${where}.Code`), ctx);
}

/** Events of a template's functions that alonzo dev does not run (for the start-up summary). */
export function ignoredEvents(file: string): string[] {
  const doc = parseTemplate(file);
  const out: string[] = [];
  for (const [id, r] of Object.entries(doc.Resources as Obj)) {
    if (!isObj(r) || r.Type !== 'AWS::Serverless::Function' || !isObj(r.Properties) || !isObj(r.Properties.Events)) continue;
    for (const [name, ev] of Object.entries(r.Properties.Events)) if (isObj(ev) && ev.Type !== 'Api' && ev.Type !== 'HttpApi') out.push(`${id}.${name} (${String(ev.Type)})`);
  }
  return out;
}
