/**
 * The local DynamoDB-compatible server (dynalite, on LevelDB) in a process of its own, as a
 * real database server is: its work runs beside the API's, not on the API's event loop. Started
 * by local-aws.ts with the data directory and port; it answers `{ port }` once listening, and
 * exits when its parent goes (the IPC channel closes), so a killed stack leaves no orphan.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { RequestCounter } from './request-counter.ts';

const [path, port = '0'] = process.argv.slice(2);
if (!path) throw new Error('usage: dynamo-server.ts DATA_DIR [PORT]');
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
// The SDK keeps sockets alive; a server closing them first races with reuse.
server.keepAliveTimeout = 65_000;
// Requests counted here, read by the parent (`npm run bench` prices them).
const requests = new RequestCounter();
requests.watch(server, 'dynamodb');
process.on('message', (m: { type?: string; id?: number }) => {
  if (m.type === 'reset') requests.reset();
  if (m.type === 'counts') process.send?.({ type: 'counts', id: m.id, counts: requests.own() });
});
server.once('error', (e: NodeJS.ErrnoException) => {
  process.send?.({ error: e.message, code: e.code });
  process.exit(1);
});
server.listen(Number(port), '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
const stop = () => server.close(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
