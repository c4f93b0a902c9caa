// AWS's response shapes: FunctionConfiguration and AliasConfiguration, rendered from store records.
import type { AliasRecord, VersionRecord } from '../store/types.js';
import { functionArn, type Account } from '../core/names.js';

export interface RenderOpts {
  /** What the ARN ends with: nothing for the unqualified ARN, else the version or alias name. */
  arnQualifier?: string;
  /** Show the transient states of a write (Pending on create, InProgress on update) as AWS answers the write itself. */
  pending?: 'create' | 'update';
  /** List operations leave out State, LastUpdateStatus and RuntimeVersionConfig, as AWS's do. */
  listing?: boolean;
}

export function renderConfiguration(account: Account, v: VersionRecord, opts: RenderOpts = {}): Record<string, unknown> {
  const s = v.settings;
  const out: Record<string, unknown> = {
    FunctionName: v.functionName,
    FunctionArn: functionArn(account, v.functionName, opts.arnQualifier),
    Runtime: s.Runtime,
    Role: s.Role,
    Handler: s.Handler,
    CodeSize: v.codeSize,
    Description: s.Description,
    Timeout: s.Timeout,
    MemorySize: s.MemorySize,
    LastModified: v.lastModified,
    CodeSha256: v.codeSha256,
    Version: v.version,
  };
  if (s.Environment) out.Environment = s.Environment;
  if (s.DeadLetterConfig) out.DeadLetterConfig = s.DeadLetterConfig;
  out.TracingConfig = s.TracingConfig;
  out.RevisionId = v.revisionId;
  if (opts.listing) {
    // no state in listings
  } else if (opts.pending === 'create') {
    Object.assign(out, { State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating' });
  } else {
    out.State = v.state;
  }
  if (opts.pending === 'update') {
    Object.assign(out, { LastUpdateStatus: 'InProgress', LastUpdateStatusReason: 'The function is being created.', LastUpdateStatusReasonCode: 'Creating' });
  } else if (opts.pending !== 'create' && !opts.listing && v.lastUpdateStatus) {
    out.LastUpdateStatus = v.lastUpdateStatus;
  }
  if (s.Layers && s.Layers.length) out.Layers = s.Layers.map((l) => ({ Arn: l.Arn, CodeSize: l.CodeSize }));
  Object.assign(out, {
    PackageType: s.PackageType,
    Architectures: s.Architectures,
    EphemeralStorage: s.EphemeralStorage,
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
  });
  if (!opts.listing) out.RuntimeVersionConfig = { RuntimeVersionArn: `arn:aws:lambda:${account.region}::runtime:alonzo-${s.Runtime ?? 'none'}` };
  out.LoggingConfig = s.LoggingConfig;
  return out;
}

export function renderAlias(account: Account, a: AliasRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    AliasArn: functionArn(account, a.functionName, a.name),
    Name: a.name,
    FunctionVersion: a.functionVersion,
    Description: a.description,
  };
  if (a.routing) out.RoutingConfig = { AdditionalVersionWeights: a.routing };
  out.RevisionId = a.revisionId;
  return out;
}
