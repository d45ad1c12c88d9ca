/** Frame-rate over a sliding window of arrival times (ms). */
export class FpsMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 2000) {}

  tick(nowMs: number): void {
    this.times.push(nowMs);
    while (this.times.length > 2 && nowMs - this.times[0]! > this.windowMs) this.times.shift();
  }

  fps(): number {
    const n = this.times.length;
    if (n < 2) return 0;
    const span = this.times[n - 1]! - this.times[0]!;
    return span > 0 ? ((n - 1) * 1000) / span : 0;
  }

  reset(): void {
    this.times.length = 0;
  }
}
