/**
 * Storage bindings that fail like a platform outage: a Proxy around the real binding whose chosen
 * methods reject (as R2/KV do when their backend is unreachable), the rest passing through.
 */
export function failing<T extends object>(
  binding: T,
  methods: readonly string[],
  shouldFail: (args: unknown[]) => boolean = () => true,
): T {
  return new Proxy(binding, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (typeof prop === "string" && methods.includes(prop)) {
        return (...args: unknown[]) =>
          shouldFail(args)
            ? Promise.reject(new Error(`simulated ${prop} outage`))
            : (value as (...a: unknown[]) => unknown).apply(target, args);
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
