// Latency recording in the loader workers, in microseconds. Values below FAST_LIMIT_US are counted
// per microsecond in a plain array and folded into the HDR histogram when it is encoded (a
// histogram's recordValue costs about as much as parsing a response on Node); the histogram is
// exactly the one direct recording gives, encoded so that workers merge exactly (histogram.ts).
import * as hdr from 'hdr-histogram-js';

/** Values above this (60 s) are recorded as this. */
export const HIGHEST_US = 60_000_000;
const FAST_LIMIT_US = 1 << 17;

const build = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });

export class Recorder {
  private readonly fast = new Uint32Array(FAST_LIMIT_US);
  private histogram = build();
  count = 0;

  /** Records one value; below 1 µs counts as 1 µs (the histogram's lowest). */
  record(us: number): void {
    this.count++;
    if (us < 1) us = 1;
    else us = Math.round(us);
    if (us < FAST_LIMIT_US) this.fast[us]!++;
    else this.histogram.recordValue(us > HIGHEST_US ? HIGHEST_US : us);
  }

  recordMany(us: number, n: number): void {
    if (n <= 0) return;
    this.count += n;
    this.histogram.recordValueWithCount(Math.min(Math.max(1, Math.round(us)), HIGHEST_US), n);
  }

  /** The histogram so far, encoded; the recorder starts afresh. */
  take(): string {
    for (let us = 1; us < FAST_LIMIT_US; us++) {
      const n = this.fast[us]!;
      if (n > 0) this.histogram.recordValueWithCount(us, n);
    }
    this.fast.fill(0);
    const encoded = hdr.encodeIntoCompressedBase64(this.histogram);
    this.histogram = build();
    this.count = 0;
    return encoded;
  }
}
