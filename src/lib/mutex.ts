/** A FIFO async mutex: `run(fn)` executes `fn` once every earlier holder has released. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Waits for the lock and resolves with the function that releases it. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
