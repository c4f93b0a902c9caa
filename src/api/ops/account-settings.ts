// GetAccountSettings: GET /2016-08-19/account-settings[/] → the account's limits and use.
import { MAX_UNZIPPED, MAX_ZIPPED } from '../../code/index.js';
import type { Operation } from '../context.js';

export const getAccountSettings: Operation = async (s) => {
  const use = await s.store.accountUsage();
  return {
    status: 200,
    json: {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: MAX_UNZIPPED,
        CodeSizeZipped: MAX_ZIPPED,
        ConcurrentExecutions: s.config.accountConcurrency,
        UnreservedConcurrentExecutions: s.config.accountConcurrency - use.reservedConcurrency,
      },
      AccountUsage: { TotalCodeSize: use.totalCodeSize, FunctionCount: use.functionCount },
    },
  };
};
