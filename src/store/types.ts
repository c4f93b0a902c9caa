// The store's port: what the API, the invoke engine and the queue need from persistence, as a handful of methods.
//
// Adapters: sqlite/ (embedded, the default) and postgres/ (cluster mode: several nodes on one database), held to the
// same behaviour by test/store/contract.test.ts. Records are plain data; the API renders them into AWS's shapes
// (api/shapes.ts).

/** The settable part of a function version's configuration, stored as JSON. */
export interface VersionSettings {
  Runtime?: string;
  Handler?: string;
  Role: string;
  Description: string;
  Timeout: number;
  MemorySize: number;
  Environment?: { Variables: Record<string, string> };
  DeadLetterConfig?: { TargetArn?: string };
  Architectures: string[];
  EphemeralStorage: { Size: number };
  TracingConfig: { Mode: string };
  LoggingConfig: { LogFormat: string; LogGroup: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  PackageType: string;
  /** The layer versions the function uses, in order (≤ 5). */
  Layers?: LayerRef[];
}

/** A layer version a function uses: what AWS shows ({Arn, CodeSize}) and its package's hex, kept after the version is deleted. */
export interface LayerRef {
  Arn: string;
  CodeSize: number;
  hex: string;
}

export type FunctionState = 'Pending' | 'Active' | 'Inactive' | 'Failed';
export type UpdateStatus = 'InProgress' | 'Successful' | 'Failed';

export interface VersionRecord {
  functionName: string;
  /** `$LATEST` or a decimal number. */
  version: string;
  settings: VersionSettings;
  codeSha256: string;
  codeSize: number;
  state: FunctionState;
  lastUpdateStatus?: UpdateStatus;
  revisionId: string;
  lastModified: string;
}

export interface FunctionRecord {
  name: string;
  /** The number the next published version gets. */
  nextVersion: number;
  tags: Record<string, string>;
  reservedConcurrency: number | null;
  createdAt: string;
  /** PutFunctionRecursionConfig's setting; null until one is put (AWS answers its default, `Terminate`). */
  recursiveLoop: RecursiveLoop | null;
}

/** What Lambda does when it detects the function in a recursive loop (the RecursiveLoop enum). */
export type RecursiveLoop = 'Allow' | 'Terminate';

export interface AliasRecord {
  functionName: string;
  name: string;
  functionVersion: string;
  description: string;
  routing: Record<string, number> | null;
  revisionId: string;
}

export interface ProvisionedConfig {
  functionName: string;
  /** A version number or an alias name. */
  qualifier: string;
  requested: number;
  lastModified: string;
}

/** A function's (or one version's or alias's) resource-based policy: the statements AddPermission added, in order. */
export interface PolicyRecord {
  functionName: string;
  /** '' for the unqualified function, else a version number or an alias name. */
  qualifier: string;
  statements: Record<string, unknown>[];
  revisionId: string;
}

/** One version of a Lambda layer (PublishLayerVersion); numbers count from 1 per layer and are never reused. */
export interface LayerVersionRecord {
  layerName: string;
  version: number;
  description: string;
  licenseInfo?: string;
  /** Absent when the publish sent none (AWS then answers no key at all); [] when it sent an empty list. */
  compatibleRuntimes?: string[];
  compatibleArchitectures?: string[];
  /** base64 of the zip's SHA-256 (CodeSha256), its hex (the blob's and the unpacked folder's name), its size. */
  codeSha256: string;
  codeHex: string;
  codeSize: number;
  createdDate: string;
}

/** A layer version's resource-based policy: AddLayerVersionPermission's statements, in order. */
export interface LayerPolicy {
  statements: Record<string, unknown>[];
  revisionId: string;
}

/** One account's layers. */
export interface LayerStore {
  /** Stores the layer's next version (the layer is created with its first); returns its number. */
  publish(rec: Omit<LayerVersionRecord, 'version'>): Promise<number>;
  get(name: string, version: number): Promise<LayerVersionRecord | undefined>;
  /** Every version of one layer still there, newest first. */
  versions(name: string): Promise<LayerVersionRecord[]>;
  /** Every version of every layer still there, by layer name (byte order), newest version first. */
  all(): Promise<LayerVersionRecord[]>;
  /** Removes a version (its policy with it); false when there was none. The number is not reused. */
  delete(name: string, version: number): Promise<boolean>;
  getPolicy(name: string, version: number): Promise<LayerPolicy | undefined>;
  /**
   * Writes the policy (no statements: removes it), only if its RevisionId is still `expectRevision` (undefined: there
   * is none yet). False when another write came first, or the version is gone.
   */
  putPolicy(name: string, version: number, policy: LayerPolicy, expectRevision: string | undefined): Promise<boolean>;
}

/** A function URL (CreateFunctionUrlConfig): on the unqualified function or on an alias, never on a version. */
export interface FunctionUrlRecord {
  functionName: string;
  /** '' for the unqualified function ($LATEST), else an alias name. */
  qualifier: string;
  /** 32 lowercase alphanumerics: the URL's host label, unique across accounts. */
  urlId: string;
  authType: 'NONE' | 'AWS_IAM';
  /** The Cors member as it was set (only the keys given), or null. */
  cors: Record<string, unknown> | null;
  /** As set; null when never given (AWS omits it from Create's and Update's answers then, and Get says BUFFERED). */
  invokeMode: 'BUFFERED' | 'RESPONSE_STREAM' | null;
  creationTime: string;
  lastModifiedTime: string;
}

/** An event source mapping's state (AWS's set): the transitional ones last until a node's pollers have acted on them. */
export type MappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

/**
 * An event source mapping (CreateEventSourceMapping). `config` holds the members AWS shows that the mapping's own
 * columns do not (FunctionArn as given, BatchSize, FilterCriteria, StateTransitionReason…), as AWS names them.
 */
export interface MappingRecord {
  /** Unique across accounts (a random UUID). */
  uuid: string;
  /** The function's name (no qualifier): what ListEventSourceMappings' FunctionName filter and duplicates compare. */
  functionName: string;
  eventSourceArn: string;
  state: MappingState;
  /** Epoch milliseconds of the last change a user made. */
  lastModified: number;
  config: Record<string, unknown>;
  /** Its tags (CreateEventSourceMapping's Tags, TagResource on its ARN). */
  tags: Record<string, string>;
}

/** One account's event source mappings. */
export interface MappingStore {
  /** False when the UUID exists. */
  insert(rec: MappingRecord): Promise<boolean>;
  get(uuid: string): Promise<MappingRecord | undefined>;
  /** Replaces a mapping, only if its state is still `expectState` when given; false when it is gone or moved on. */
  replace(rec: MappingRecord, expectState?: MappingState): Promise<boolean>;
  /** Moves the state alone, only from `from`: false when it had moved on (or the mapping is gone). */
  setState(uuid: string, from: MappingState, to: MappingState): Promise<boolean>;
  /** Replaces the tags alone; false when the mapping is gone. */
  setTags(uuid: string, tags: Record<string, string>): Promise<boolean>;
  /** Sets LastProcessingResult alone (the pollers' report), leaving the rest of the mapping as it is. */
  setLastProcessingResult(uuid: string, result: string): Promise<void>;
  /** The sequence number of the last record a stream mapping is done with in a shard, if any. */
  checkpoint(uuid: string, shardId: string): Promise<string | undefined>;
  saveCheckpoint(uuid: string, shardId: string, sequenceNumber: string): Promise<void>;
  /** Removes the mapping (and its checkpoints); false when there was none. */
  delete(uuid: string): Promise<boolean>;
  /** The account's mappings, by UUID, filtered by function name and/or event source, paged with markers (the last UUID). */
  list(opts: { functionName?: string; eventSourceArn?: string; marker?: string; limit: number }): Promise<Page<MappingRecord>>;
}

export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

/** One account's view of the store: every method reads and writes that account's rows only. */
export interface Store {
  /** The view of another account (the same database). Cached: call it per request freely. */
  forAccount(accountId: string): Store;
  /** Every account that has a function (to re-provision at start-up). */
  accountIds(): Promise<string[]>;
  /**
   * Bumped by every write to functions, versions, aliases and provisioned configs made through this store, so that a
   * reader may cache what it read (the invoke engine does) and drop it when the number moves. In cluster mode other
   * nodes' writes move it too, once their notification arrives (normally a few ms after their commit).
   */
  generation(): number;
  /**
   * Takes the function's update lock (held by CreateFunction and the Update* operations: a second one meanwhile gets
   * AWS's 409): the unlock to call when done, or undefined when someone holds it. In cluster mode the lock is the
   * cluster's, and a node that dies drops the locks it held.
   */
  tryLock(functionName: string): Promise<(() => Promise<void>) | undefined>;
  getFunction(name: string): Promise<FunctionRecord | undefined>;
  /** Creates the function and its $LATEST (and version 1 when published) atomically; false if the name exists. */
  createFunction(fn: FunctionRecord, versions: VersionRecord[]): Promise<boolean>;
  /** Deletes the function with its versions and aliases; false if it did not exist. */
  deleteFunction(name: string): Promise<boolean>;
  updateFunction(name: string, patch: Partial<Pick<FunctionRecord, 'tags' | 'reservedConcurrency' | 'recursiveLoop'>>): Promise<void>;
  listFunctions(opts: { marker?: string; limit: number; allVersions: boolean }): Promise<Page<VersionRecord>>;

  getVersion(functionName: string, version: string): Promise<VersionRecord | undefined>;
  /** Replaces a version row (the mutable $LATEST, or a state change), only if its revision is still `expectRevision` when given. */
  putVersion(rec: VersionRecord, expectRevision?: string): Promise<boolean>;
  /**
   * Stores `rec` under the function's next version number and advances it; returns the number. With `latest`, $LATEST's
   * RevisionId moves from `from` to `to` in the same transaction (publishing changes it, as on AWS); if it is no longer
   * `from`, nothing is written and the call rejects.
   */
  publishVersion(rec: Omit<VersionRecord, 'version'>, latest?: { from: string; to: string }): Promise<string>;
  deleteVersion(functionName: string, version: string): Promise<boolean>;
  listVersions(functionName: string, opts: { marker?: string; limit: number }): Promise<Page<VersionRecord>>;

  getAlias(functionName: string, name: string): Promise<AliasRecord | undefined>;
  /** Inserts (false if it exists) or replaces an alias. */
  insertAlias(rec: AliasRecord): Promise<boolean>;
  replaceAlias(rec: AliasRecord): Promise<void>;
  deleteAlias(functionName: string, name: string): Promise<boolean>;
  listAliases(functionName: string, opts: { marker?: string; limit: number; functionVersion?: string }): Promise<Page<AliasRecord>>;

  getProvisioned(functionName: string, qualifier: string): Promise<ProvisionedConfig | undefined>;
  putProvisioned(rec: ProvisionedConfig): Promise<void>;
  deleteProvisioned(functionName: string, qualifier: string): Promise<boolean>;
  /** One function's configurations, or every function's when the name is omitted (to re-provision at start-up). */
  listProvisioned(functionName?: string): Promise<ProvisionedConfig[]>;

  getPolicy(functionName: string, qualifier: string): Promise<PolicyRecord | undefined>;
  /**
   * Writes the policy (no statements: deletes it), only if its current RevisionId is `expectRevision` (undefined: there
   * is no policy yet). False when another write came first, or the function, version or alias is gone.
   */
  putPolicy(rec: PolicyRecord, expectRevision: string | undefined): Promise<boolean>;

  /** The account's layers. */
  readonly layers: LayerStore;
  getFunctionUrl(functionName: string, qualifier: string): Promise<FunctionUrlRecord | undefined>;
  /** Inserts a URL config; false when one exists for that function and qualifier, or the function is gone. */
  insertFunctionUrl(rec: FunctionUrlRecord): Promise<boolean>;
  /** Replaces the settings of an existing URL config (the url id and creation time stay); false when there is none. */
  replaceFunctionUrl(rec: FunctionUrlRecord): Promise<boolean>;
  deleteFunctionUrl(functionName: string, qualifier: string): Promise<boolean>;
  /** One function's URL configs, ordered by qualifier ('' first), paged with markers. */
  listFunctionUrls(functionName: string, opts: { marker?: string; limit: number }): Promise<Page<FunctionUrlRecord>>;
  /**
   * The URL config with this url id, in whichever account it is (the URL's host names no account), with that
   * account's id. What the URL endpoint looks up on every request.
   */
  findFunctionUrl(urlId: string): Promise<{ accountId: string; url: FunctionUrlRecord } | undefined>;

  /** The account's event source mappings. */
  readonly mappings: MappingStore;
  /** Every account's mappings (what the pollers of a node work from), with each one's account id. */
  allMappings(): Promise<{ accountId: string; mapping: MappingRecord }[]>;

  accountUsage(): Promise<{ functionCount: number; totalCodeSize: number; reservedConcurrency: number }>;

  close(): Promise<void>;
}
