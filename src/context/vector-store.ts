import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { zlib } from '../util/lazy-builtins.js';

/**
 * The vectors of the search index (DESIGN §6 "Search"): one file per blob id and embeddings
 * model, under `<git common dir>/assist/search/vectors/<model>/<ab>/<rest of the blob id>`,
 * holding the vectors of that file version's chunks, int8-quantised with one float32 scale per
 * vector. A changed model is another folder, so it embeds again; a file whose magic, version,
 * model, checksum or chunk lines do not match is treated as missing and embedded again.
 *
 * Layout (little-endian): `AVEC`, u8 version, u8 0, u16 model name bytes, u32 dim, u32 chunks,
 * u32 crc32 of everything after it, the model name, then per chunk: u32 first line, u32 last
 * line, f32 scale, `dim` int8. So a chunk costs `dim + 12` bytes (1548 for text-embedding-3-small).
 */
export const VECTOR_FORMAT = 1;
const MAGIC = 0x43455641; // 'AVEC' read as little-endian u32
const HEADER = 16;

/** The vectors of one blob's chunks, quantised. */
export interface BlobVectors {
  dim: number;
  /** 1-based first and last lines of each chunk, as the lexical index cut them. */
  starts: Uint32Array;
  ends: Uint32Array;
  /** Per chunk: the value of one int8 step. */
  scales: Float32Array;
  /** `chunks × dim` int8 values. */
  data: Int8Array;
}

/** int8 with a per-vector scale (max |x| / 127): the round trip errs by at most scale / 2 per value. */
export function quantise(vector: ArrayLike<number>, into: Int8Array, at = 0): number {
  let max = 0;
  for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]!));
  const scale = max === 0 ? 1 : max / 127;
  for (let i = 0; i < vector.length; i++) into[at + i] = Math.max(-127, Math.min(127, Math.round(vector[i]! / scale)));
  return scale;
}

export function dequantise(data: Int8Array, scale: number, at: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = data[at + i]! * scale;
  return out;
}

/** The folder name of a model: readable, plus a hash so two names never share a folder. */
function modelFolder(model: string): string {
  const readable = model.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
  return `${readable}-${createHash('sha1').update(model).digest('hex').slice(0, 8)}`;
}

export function vectorsDir(sharedAssistDir: string, model: string): string {
  return join(sharedAssistDir, 'search', 'vectors', modelFolder(model));
}

/** Encodes a blob's chunk vectors (float) into the stored form. */
export function encodeVectors(model: string, chunks: readonly { start: number; end: number }[], vectors: readonly ArrayLike<number>[]): Uint8Array {
  const dim = vectors[0]?.length ?? 0;
  const name = Buffer.from(model, 'utf8');
  const per = 12 + dim;
  const buf = Buffer.alloc(HEADER + 4 + name.length + chunks.length * per);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt8(VECTOR_FORMAT, 4);
  buf.writeUInt16LE(name.length, 6);
  buf.writeUInt32LE(dim, 8);
  buf.writeUInt32LE(chunks.length, 12);
  name.copy(buf, HEADER + 4);
  const q = new Int8Array(buf.buffer, buf.byteOffset, buf.length);
  let at = HEADER + 4 + name.length;
  chunks.forEach((c, i) => {
    const v = vectors[i]!;
    if (v.length !== dim) throw new Error('vectors of one blob differ in length');
    buf.writeUInt32LE(c.start, at);
    buf.writeUInt32LE(c.end, at + 4);
    buf.writeFloatLE(quantise(v, q, at + 12), at + 8);
    at += per;
  });
  buf.writeUInt32LE(zlib().crc32(buf.subarray(HEADER + 4)), HEADER);
  return buf;
}

/** Decodes a stored file; undefined when it is damaged, of another version or of another model. */
export function decodeVectors(buf: Buffer, model: string): BlobVectors | undefined {
  if (buf.length < HEADER + 4 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt8(4) !== VECTOR_FORMAT) return undefined;
  const nameLength = buf.readUInt16LE(6);
  const dim = buf.readUInt32LE(8);
  const count = buf.readUInt32LE(12);
  const per = 12 + dim;
  if (buf.length !== HEADER + 4 + nameLength + count * per) return undefined;
  if (zlib().crc32(buf.subarray(HEADER + 4)) !== buf.readUInt32LE(HEADER)) return undefined;
  if (buf.toString('utf8', HEADER + 4, HEADER + 4 + nameLength) !== model) return undefined;
  const starts = new Uint32Array(count);
  const ends = new Uint32Array(count);
  const scales = new Float32Array(count);
  const data = new Int8Array(count * dim);
  const all = new Int8Array(buf.buffer, buf.byteOffset, buf.length);
  let at = HEADER + 4 + nameLength;
  for (let i = 0; i < count; i++) {
    starts[i] = buf.readUInt32LE(at);
    ends[i] = buf.readUInt32LE(at + 4);
    scales[i] = buf.readFloatLE(at + 8);
    data.set(all.subarray(at + 12, at + 12 + dim), i * dim);
    at += per;
  }
  return { dim, starts, ends, scales, data };
}

/** The per-blob vector files of one embeddings model. Never throws for a damaged or missing file. */
export class VectorStore {
  readonly dir: string;

  constructor(
    sharedAssistDir: string,
    readonly model: string,
  ) {
    this.dir = vectorsDir(sharedAssistDir, model);
  }

  pathOf(blob: string): string {
    return join(this.dir, blob.slice(0, 2), blob.slice(2));
  }

  async read(blob: string): Promise<BlobVectors | undefined> {
    try {
      return decodeVectors(await readFile(this.pathOf(blob)), this.model);
    } catch {
      return undefined;
    }
  }

  /** Written atomically: a kill mid-write leaves the old file or none, never half of one. */
  async write(blob: string, chunks: readonly { start: number; end: number }[], vectors: readonly ArrayLike<number>[]): Promise<void> {
    const path = this.pathOf(blob);
    await mkdir(dirname(path), { recursive: true });
    // A torn cache file fails its checksum and is embedded again: no fsync needed.
    await writeFileAtomic(path, encodeVectors(this.model, chunks, vectors), { fsync: false });
  }
}
