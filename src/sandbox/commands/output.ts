/** Keeps the last `limit` bytes of a stream, counting what was cut. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes dropped from the front so far. */
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    if (this.limit <= 0) {
      this.dropped += chunk.length;
      return;
    }
    if (chunk.length >= this.limit) {
      this.dropped += this.size + chunk.length - this.limit;
      this.chunks = [chunk.subarray(chunk.length - this.limit)];
      this.size = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  /** The kept bytes as text; when the front was cut, starts at the next line and says how much went. */
  text(): string {
    let buf = Buffer.concat(this.chunks, this.size);
    if (this.dropped === 0) return buf.toString('utf8');
    // The cut may split a line or a multi-byte character: start at the next whole line when there is one nearby.
    const newline = buf.indexOf(0x0a);
    let skipped = 0;
    if (newline !== -1 && newline < 4096) {
      skipped = newline + 1;
      buf = buf.subarray(skipped);
    }
    return `[… ${this.dropped + skipped} bytes cut …]\n${buf.toString('utf8')}`;
  }
}
