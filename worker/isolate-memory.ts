/**
 * State an isolate keeps in memory beside a binding (caches, counters), one instance per binding
 * object: a test that swaps in a wrapped binding starts from empty state and never sees another's.
 */
export function perBinding<B extends object, V>(create: () => V): (binding: B) => V {
  const states = new WeakMap<B, V>();
  return (binding) => {
    let state = states.get(binding);
    if (state === undefined) {
      state = create();
      states.set(binding, state);
    }
    return state;
  };
}
