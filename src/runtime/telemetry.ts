// The Telemetry API (2022-07-01) and the older Logs API (2020-08-15) for one environment's extensions.
import type { Logger } from '../core/logger.js';

export interface SubscribeAnswer {
  status: number;
  body: unknown;
}

export class Telemetry {
  constructor(private readonly log: Logger) {}

  subscribe(_extension: string, _body: Buffer, _logsApi: boolean, _closed: boolean): SubscribeAnswer {
    return { status: 202, body: 'OK' };
  }

  initDone(): void {}

  close(): void {}
}
