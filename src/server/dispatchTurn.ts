// Lets the messages already read from the editor be dispatched before a request goes on, so a superseded one sees it is stale.

/**
 * Resolves once vscode-jsonrpc has dispatched the next queued message. The connection hands one queued message to its
 * handler per setImmediate turn and schedules that turn only after the running handler yields, so a single
 * setImmediate here resumes *before* the next message is dispatched (a burst of requests then all pass their stale
 * check and each tokenizes its window for nothing); the second resumes after it.
 */
export function afterNextDispatch(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
