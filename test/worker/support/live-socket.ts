/** A WebSocket's messages as a queue, for tests that wait for the next announcement. */

export interface Inbox {
  /** The next text frame, waiting for it if none has arrived. */
  nextRaw(): Promise<string>;
  /** The next text frame, parsed as JSON. */
  next(): Promise<unknown>;
  /** Frames received and not yet taken. */
  pending(): number;
}

export function inboxOf(socket: WebSocket): Inbox {
  const queue: string[] = [];
  const waiters: Array<(m: string) => void> = [];
  socket.addEventListener("message", (event) => {
    const data = String(event.data);
    const waiter = waiters.shift();
    if (waiter) waiter(data);
    else queue.push(data);
  });
  const nextRaw = () =>
    new Promise<string>((resolve) => {
      const queued = queue.shift();
      if (queued !== undefined) resolve(queued);
      else waiters.push(resolve);
    });
  return { nextRaw, next: async () => JSON.parse(await nextRaw()) as unknown, pending: () => queue.length };
}

/** Resolves with the close code the socket sees. */
export function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.addEventListener("close", (event) => resolve(event.code)));
}
