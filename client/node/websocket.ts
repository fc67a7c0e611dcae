/**
 * The WebSocket auto-sync listens on in Node: undici's, which Node 22 also ships as the global one;
 * Node 20 has no global WebSocket, so the Node entry passes this to the manager.
 */
import { WebSocket as UndiciWebSocket } from "undici";
import type { WebSocketConstructorLike } from "../core/index.ts";

/**
 * @example
 * const manager = await SyncManager.create({ url, key, store, deviceId, WebSocket: nodeWebSocket });
 */
export const nodeWebSocket: WebSocketConstructorLike = UndiciWebSocket;
