/**
 * A binding whose every method call is recorded by name, passing through to the real one: a fresh
 * object, so the isolate's per-binding caches start cold with it (worker/isolate-memory.ts).
 */
export function counted<T extends object>(binding: T, calls: string[]): T {
  return new Proxy(binding, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
