/**
 * Time, injected. Domain code never reads the wall clock: it asks a `Clock`, so tests and test clocks
 * decide what "now" is. All times are integer unix seconds, as on the wire.
 */
export interface Clock {
  /** Current time in unix seconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  set(t: number): void {
    this.current = t;
  }
  advance(seconds: number): void {
    this.current += seconds;
  }
}
