import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type TypeScript from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, adoptLock, holderGone, parseLock, processStartTime, readLockHolder, tryAcquireLock } from './lock.js';

const here = dirname(fileURLToPath(import.meta.url));
let work: string;
let child: string;

// The children run this folder's lock, transpiled here to plain JS.
beforeAll(() => {
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  work = mkdtempSync(join(tmpdir(), 'assist-lock-'));
  writeFileSync(join(work, 'package.json'), '{"type":"module"}');
  for (const name of ['lock', 'process']) {
    const out = ts.transpileModule(readFileSync(join(here, `${name}.ts`), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    writeFileSync(join(work, `${name}.js`), out);
  }
  child = join(work, 'child.js');
  // Each child: say ready, wait for "go" on stdin (so all start together), then take the lock
  // `rounds` times, marking enter and leave in a shared file; a crasher exits holding it once.
  writeFileSync(
    child,
    `import { appendFileSync } from 'node:fs';
import { acquireLock } from './lock.js';
const [lockPath, log, id, rounds, crashAt] = process.argv.slice(2);
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  process.stdin.pause();
  for (let i = 0; i < Number(rounds); i++) {
    // A pause between judging a dead holder's lock and removing it: where two takers could collide.
    const lock = await acquireLock(lockPath, { waitMs: 120000, onStale: () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1 + Math.random() * 5) });
    if (lock === null) { process.stderr.write('timed out\\n'); process.exit(3); }
    appendFileSync(log, 'enter ' + id + '\\n');
    for (let k = 0; k < 3; k++) appendFileSync(log + '.work', id);
    if (i === Number(crashAt)) { appendFileSync(log, 'crash ' + id + '\\n'); process.exit(0); }
    appendFileSync(log, 'leave ' + id + '\\n');
    lock.release();
  }
  process.exit(0);
});
`,
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function dir(): string {
  return mkdtempSync(join(work, 'd-'));
}

interface Child {
  ready: Promise<void>;
  done: Promise<number>;
  go(): void;
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
  const done = new Promise<number>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => resolve(code ?? -1));
  });
  return { ready, done, go: () => proc.stdin.end('go\n') };
}

const deadPid = (): number => {
  const p = spawn(process.execPath, ['-e', '0']);
  return p.pid as number;
};

describe('one lock, many processes', () => {
  it('16 processes started at once never overlap, and those that die holding it are taken over', async () => {
    const d = dir();
    const lockPath = join(d, 'x.lock');
    const log = join(d, 'log');
    writeFileSync(log, '');
    const rounds = 8;
    const children = Array.from({ length: 16 }, (_, id) => start([lockPath, log, String(id), String(rounds), id % 2 === 0 ? '3' : '-1']));
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    expect(await Promise.all(children.map((c) => c.done))).toEqual(children.map(() => 0));

    let holder: string | null = null;
    const counts = new Map<string, number>();
    for (const line of readFileSync(log, 'utf8').trimEnd().split('\n')) {
      const [mark, id = ''] = line.split(' ');
      if (mark === 'enter') {
        expect(holder, `${id} entered while ${holder} held the lock`).toBeNull();
        holder = id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      } else {
        expect(holder).toBe(id);
        holder = null;
      }
    }
    // The eight crashers got in four times (the fourth time they died holding it), the others eight.
    expect([...counts.values()].sort((a, b) => a - b)).toEqual([...Array(8).fill(4), ...Array(8).fill(8)]);
    // Free, or left by a crasher that was the last one in.
    const left = readLockHolder(lockPath);
    if (left !== null) expect(holderGone(left)).toBe(true);
    expect(readdirSync(d).filter((f) => !['log', 'log.work', 'x.lock'].includes(f))).toEqual([]);
  }, 120_000);
});

describe('takeover', () => {
  it('takes over a dead holder and says whom', async () => {
    const d = dir();
    const path = join(d, 'l');
    const pid = deadPid();
    await new Promise((r) => setImmediate(r));
    writeFileSync(path, `${pid}\n${JSON.stringify({ pid, host: hostname(), time: Date.now(), nonce: 'gone' })}\n`);
    // Wait for the short-lived child to be gone: its exit is what we take over from.
    while (!holderGone(readLockHolder(path)!)) await new Promise((r) => setImmediate(r));
    const lock = tryAcquireLock(path);
    expect(lock?.tookOver).toMatchObject({ pid, nonce: 'gone' });
    expect(readLockHolder(path)).toMatchObject({ pid: process.pid, nonce: lock!.record.nonce });
    expect(lock!.release()).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('never takes a live holder, on this host or another, unless older than staleMs', async () => {
    const d = dir();
    const path = join(d, 'l');
    writeFileSync(path, `${process.pid}\n`);
    expect(tryAcquireLock(path)).toBeNull();
    expect(await acquireLock(path, { waitMs: 30 })).toBeNull();
    const far = { pid: 1, host: 'elsewhere', time: Date.now() - 60_000, nonce: 'n' };
    writeFileSync(path, `1\n${JSON.stringify(far)}\n`);
    expect(tryAcquireLock(path)).toBeNull();
    expect(tryAcquireLock(path, { staleMs: 30_000 })?.tookOver).toMatchObject({ host: 'elsewhere' });
  });

  it.runIf(processStartTime(process.pid) !== undefined)('sees a reused pid: alive, but started at another time', () => {
    const d = dir();
    const path = join(d, 'l');
    const record = { pid: process.pid, host: hostname(), time: Date.now(), nonce: 'old', procStart: '1' };
    writeFileSync(path, `${process.pid}\n${JSON.stringify(record)}\n`);
    expect(tryAcquireLock(path)?.tookOver).toMatchObject({ nonce: 'old' });
    const same = { ...record, procStart: processStartTime(process.pid) };
    writeFileSync(path, `${process.pid}\n${JSON.stringify(same)}\n`);
    expect(tryAcquireLock(path)).toBeNull();
  });

  it('respects a fresh empty lock (being written) and takes over an old one (a crash)', () => {
    const d = dir();
    const path = join(d, 'l');
    writeFileSync(path, '');
    expect(tryAcquireLock(path)).toBeNull();
    const old = new Date(Date.now() - 10_000);
    utimesSync(path, old, old);
    const lock = tryAcquireLock(path);
    expect(lock).not.toBeNull();
    expect(lock!.tookOver).toBeNull();
    expect(lock!.release()).toBe(true);
  });

  it('releases only its own lock', () => {
    const d = dir();
    const path = join(d, 'l');
    const lock = tryAcquireLock(path)!;
    // Someone judged us gone and took it: our release must leave theirs alone.
    const theirs = `${process.pid}\n${JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now(), nonce: 'theirs' })}\n`;
    writeFileSync(path, theirs);
    expect(lock.release()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(theirs);
  });

  it('a stale guard left by a crash does not block release or takeover', () => {
    const d = dir();
    const path = join(d, 'l');
    const lock = tryAcquireLock(path)!;
    const pid = 2 ** 22 + 4321;
    writeFileSync(`${path}.guard`, `${pid}\n${JSON.stringify({ pid, host: hostname(), time: Date.now(), nonce: 'g' })}\n`);
    expect(lock.release()).toBe(true);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('adoption and formats', () => {
  it('adopts the bare pid the hook script wrote, and nothing else', () => {
    const d = dir();
    const path = join(d, 'l');
    writeFileSync(path, '12345\n');
    expect(adoptLock(path, (r) => r.nonce === '' && r.pid === 999)).toBeNull();
    const lock = adoptLock(path, (r) => r.nonce === '' && r.pid === 12345);
    expect(readLockHolder(path)).toMatchObject({ pid: process.pid, nonce: lock!.record.nonce });
    // The first line stays a bare pid, for the script's `read`.
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(String(process.pid));
    expect(adoptLock(path, (r) => r.nonce === '')).toBeNull();
    expect(lock!.release()).toBe(true);
  });

  it.each([
    ['', null],
    ['garbage', null],
    ['0\n', null],
    ['42\n', { pid: 42, nonce: '', time: 7 }],
    ['42\n{"pid":43,"host":"h","time":1,"nonce":"n"}\n', null],
    ['42\n{"pid":42,"host":"h","time":1,"nonce":"n"}\n', { pid: 42, host: 'h', time: 1, nonce: 'n' }],
    ['{"pid":42,"host":"h","command":"chat","start":"2024-01-01T00:00:00.000Z"}', { pid: 42, host: 'h', nonce: '', command: 'chat', time: Date.parse('2024-01-01T00:00:00.000Z') }],
    ['{"pid":42,"host":"h","time":5,"nonce":"old"}', { pid: 42, host: 'h', time: 5, nonce: 'old' }],
  ])('parses %j', (raw, expected) => {
    const parsed = parseLock(raw, 7);
    if (expected === null) expect(parsed).toBeNull();
    else expect(parsed).toMatchObject(expected);
  });
});
