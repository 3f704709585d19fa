/**
 * Values that are plain on the synchronous modes and Promises on webgpu.
 * Chaining through these helpers awaits only when something is a Promise,
 * so the GL, WASM and JS modes stay synchronous end to end.
 *
 * (andThen is not named `then`: a module exporting `then` is a thenable,
 * and `await import()` of it would call it.)
 */
import type { Maybe } from '../backend.js';

export function andThen<T, U>(x: Maybe<T>, f: (v: T) => Maybe<U>): Maybe<U> {
  return x instanceof Promise ? x.then(f) : f(x);
}

export function allOf<T>(xs: readonly Maybe<T>[]): Maybe<T[]> {
  return xs.some((x) => x instanceof Promise) ? Promise.all(xs) : (xs as T[]);
}
