/** `npm --prefix gateway run stub-node [port]`: the test stub node on 127.0.0.1; prints its URL, then serves. */

import { startStubNode } from './stub_node.js';

const port = Number(process.argv[2] ?? process.env.STUB_NODE_PORT ?? 0);
const stub = await startStubNode(port);
process.stdout.write(JSON.stringify({ event: 'Stub node started', url: stub.url }) + '\n');
process.on('SIGTERM', () => void stub.close().then(() => process.exit(0)));
process.on('SIGINT', () => void stub.close().then(() => process.exit(0)));
