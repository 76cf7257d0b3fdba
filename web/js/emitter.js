// A minimal event emitter: on(type, fn) returns an unsubscribe function; emit(type, detail) calls
// the listeners of `type` in the order they were added.
export class Emitter {
  #listeners = new Map();

  on(type, fn) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(fn);
    return () => this.#listeners.get(type).delete(fn);
  }

  emit(type, detail) {
    for (const fn of this.#listeners.get(type) ?? []) fn(detail);
  }
}
