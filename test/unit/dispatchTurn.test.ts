// The service's stale check sees newer requests already read from the editor: checked on a real vscode-jsonrpc connection, as the service's handlers use it.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { afterNextDispatch } from '../../src/server/dispatchTurn';

/**
 * A connection pair whose server answers `fill` the way the service's fill() does: mark itself newest, yield, drop the
 * request if a newer one arrived, else do the work (a short wait stands in for tokenizing and the model run). Counts
 * the requests that got past the stale check.
 */
function pair(yieldFn: () => Promise<unknown>): { client: MessageConnection; server: MessageConnection; passed: () => number } {
  const up = new PassThrough();
  const down = new PassThrough();
  const client = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const server = createMessageConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  let latest = 0;
  let seq = 0;
  let passed = 0;
  server.onRequest('fill', async () => {
    const mine = ++seq;
    latest = mine;
    await yieldFn();
    if (latest !== mine) return null;
    passed++;
    await new Promise((r) => setTimeout(r, 5));
    return latest === mine ? mine : null;
  });
  server.listen();
  client.listen();
  return { client, server, passed: () => passed };
}

describe('afterNextDispatch: a burst of requests is superseded before any work', () => {
  it('of 500 requests sent at once, only a handful get past the stale check, and the newest is answered', async () => {
    const { client, server, passed } = pair(afterNextDispatch);
    try {
      const replies = await Promise.all(Array.from({ length: 500 }, () => client.sendRequest<number | null>('fill')));
      assert.ok(replies[replies.length - 1] !== null, 'the newest request was not answered');
      console.log(`      ${passed()} of 500 got past the stale check`);
      assert.ok(passed() <= 5, `${passed()} of 500 requests got past the stale check`);
    } finally {
      client.dispose();
      server.dispose();
    }
  });

  it('a single setImmediate is not enough: it resumes before the next queued message is dispatched', async () => {
    // Why afterNextDispatch yields twice; if vscode-jsonrpc ever dispatches differently, this test says so.
    const { client, server, passed } = pair(() => new Promise((r) => setImmediate(r)));
    try {
      await Promise.all(Array.from({ length: 500 }, () => client.sendRequest<number | null>('fill')));
      console.log(`      ${passed()} of 500 got past it with one setImmediate`);
      assert.ok(passed() > 100, `only ${passed()} of 500 requests got past the stale check with one setImmediate`);
    } finally {
      client.dispose();
      server.dispose();
    }
  });
});
