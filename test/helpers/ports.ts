// A local port that nothing listens on: connections to it are refused at once.
//
// Not one taken from the OS and released: the kernel hands the same ephemeral port to the next server that listens on
// port 0, and with the suite's servers and cluster nodes starting all the time, one did (an SQS send meant to be
// refused got an Alonzo node's 403). A low port below the ephemeral range is never handed out; the first one that
// refuses a connection now is used.
import { connect } from 'node:net';

const CANDIDATES = [1, 3, 5, 7, 9, 11, 13, 17, 19];

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

export async function closedPort(): Promise<number> {
  for (const port of CANDIDATES) if (await refuses(port)) return port;
  throw new Error(`every low port tried (${CANDIDATES.join(', ')}) accepts connections: this test needs one that refuses them`);
}
