/**
 * A binary heap holding at most one value per key, in the order `before`
 * gives (true when `a` must come out before `b`). A map from each key to its
 * position in the heap's array lets a key's value be replaced or removed in
 * O(log n), where a plain binary heap would first search for it in O(n).
 */
export class KeyedHeap<V> {
  readonly #before: (a: V, b: V) => boolean;
  readonly #keys: string[] = [];
  readonly #values: V[] = [];
  readonly #position = new Map<string, number>();

  constructor(before: (a: V, b: V) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#values.length;
  }

  /** The value that comes out first: O(1). */
  peek(): V | undefined {
    return this.#values[0];
  }

  /**
   * The value at position `i` of the heap's array, whose children are at
   * 2i + 1 and 2i + 2 and come out after it: for walking the heap from the
   * top without taking anything out. O(1).
   */
  at(i: number): V | undefined {
    return this.#values[i];
  }

  /** The first value whose key is not `key`: the top, or when the top is `key`'s, the first of its two children. O(1). */
  peekExcept(key: string): V | undefined {
    if (this.#keys[0] !== key) return this.#values[0];
    const left = this.#values[1];
    const right = this.#values[2];
    if (left === undefined || right === undefined) return left;
    return this.#before(right, left) ? right : left;
  }

  /** Takes out the value that comes out first: O(log n). */
  pop(): V | undefined {
    const key = this.#keys[0];
    const value = this.#values[0];
    if (key !== undefined) this.delete(key);
    return value;
  }

  /** Puts `value` under `key`, in place of the key's value if it has one: O(log n). */
  set(key: string, value: V): void {
    const at = this.#position.get(key);
    if (at === undefined) {
      this.#keys.push(key);
      this.#values.push(value);
      this.#position.set(key, this.#values.length - 1);
      this.#up(this.#values.length - 1);
      return;
    }
    this.#values[at] = value;
    this.#down(this.#up(at));
  }

  /** Removes `key`'s value, if it has one: O(log n). */
  delete(key: string): void {
    const at = this.#position.get(key);
    if (at === undefined) return;
    const last = this.#values.length - 1;
    this.#swap(at, last);
    this.#keys.pop();
    this.#values.pop();
    this.#position.delete(key);
    if (at < last) this.#down(this.#up(at));
  }

  /** Moves the value at `i` up while it comes out before its parent; returns where it stops. */
  #up(i: number): number {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(this.#value(i), this.#value(parent))) break;
      this.#swap(i, parent);
      i = parent;
    }
    return i;
  }

  /** Moves the value at `i` down while one of its children comes out before it. */
  #down(i: number): void {
    const n = this.#values.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < n && this.#before(this.#value(left), this.#value(first))) first = left;
      if (right < n && this.#before(this.#value(right), this.#value(first))) first = right;
      if (first === i) return;
      this.#swap(i, first);
      i = first;
    }
  }

  #value(i: number): V {
    return this.#values[i] as V;
  }

  #swap(i: number, j: number): void {
    if (i === j) return;
    const key = this.#keys[i] as string;
    const other = this.#keys[j] as string;
    [this.#keys[i], this.#keys[j]] = [other, key];
    [this.#values[i], this.#values[j]] = [this.#value(j), this.#value(i)];
    this.#position.set(other, i);
    this.#position.set(key, j);
  }
}
