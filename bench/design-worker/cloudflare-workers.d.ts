/**
 * The slice of workerd's `cloudflare:workers` module the design bench Worker uses, declared here:
 * bench/ compiles with Node types, not workers-types (as bench/baseline-worker does for R2).
 */
declare module "cloudflare:workers" {
  export interface SqlCursor {
    toArray(): Record<string, ArrayBuffer | string | number | null>[];
    one(): Record<string, ArrayBuffer | string | number | null>;
    readonly rowsRead: number;
    readonly rowsWritten: number;
  }
  export interface DurableObjectStateSlice {
    storage: {
      sql: { exec(query: string, ...bindings: (ArrayBuffer | string | number | null)[]): SqlCursor };
      transactionSync<T>(fn: () => T): T;
    };
    getWebSockets(): { send(message: string): void }[];
  }
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectStateSlice;
    protected env: Env;
    constructor(ctx: DurableObjectStateSlice, env: Env);
  }
}
