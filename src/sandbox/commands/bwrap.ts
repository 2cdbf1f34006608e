import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Whether bubblewrap can confine commands on this machine. */
export interface BwrapProbe {
  ok: boolean;
  /** The program that was tried. */
  path: string;
  /** One line on why it does not work (bwrap's own message when it gave one). */
  reason?: string;
}

/** What the sandbox must make writable and what it must keep read-only. */
export interface SandboxLayout {
  /** Work tree root: the only writable place besides a private /tmp. */
  root: string;
  /** This worktree's git dir (`<root>/.git`, or `<common>/worktrees/<name>` in a linked worktree). */
  gitDir: string;
  /** The git dir shared by all worktrees. */
  commonDir: string;
  /** More absolute paths to keep read-only even inside the work tree (missing ones are skipped). */
  readOnly?: readonly string[];
}

// Namespaces and process flags every confined command gets. `--cap-drop ALL` matters when assist
// runs as root: without a user namespace bwrap keeps root's capabilities, and CAP_SYS_ADMIN could
// simply remount `/` read-write (it did, when tried as root while building this).
const ISOLATION = [
  '--unshare-net',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-cgroup-try',
  '--cap-drop',
  'ALL',
  '--die-with-parent',
  '--new-session',
];

// System places a confined command can still see, read-only, inside the masked /run.
const RUN_KEEP = ['/run/current-system', '/run/booted-system', '/run/opengl-driver'];

type Mount = { kind: 'tmpfs' | 'bind' | 'ro-bind'; path: string };

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function depth(path: string): number {
  return path === sep ? 0 : path.split(sep).length - 1;
}

const KIND_ORDER = { tmpfs: 0, bind: 1, 'ro-bind': 2 } as const;

/**
 * The bubblewrap arguments (before `--` and the command) that confine a command to the work tree:
 * the whole file system read-only, a private /dev, /proc, /tmp and /run, the work tree writable,
 * its `.git` (file or directory), the worktree's git dir and the common git dir read-only again,
 * no network, its own pid/ipc/uts namespaces, no capabilities, a new session, killed with its parent.
 *
 * Mounts are applied from the shallowest path to the deepest, so a path below another gets the
 * last word: the work tree under /tmp is bound after the private /tmp, and `.git` inside the work
 * tree is read-only after the work tree is made writable.
 */
export function bwrapArgs(layout: SandboxLayout): string[] {
  const root = real(layout.root);
  const mounts: Mount[] = [
    { kind: 'tmpfs', path: '/tmp' },
    // /run holds sockets (docker, dbus, the user's agents) that a read-only bind would still let a command connect to.
    { kind: 'tmpfs', path: '/run' },
    { kind: 'bind', path: root },
  ];
  for (const keep of RUN_KEEP) if (existsSync(keep)) mounts.push({ kind: 'ro-bind', path: keep });
  const readOnly = [join(root, '.git'), layout.gitDir, layout.commonDir, ...(layout.readOnly ?? [])];
  const seen = new Set<string>();
  for (const path of readOnly) {
    if (!existsSync(path)) continue;
    const resolved = real(path);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    mounts.push({ kind: 'ro-bind', path: resolved });
  }
  mounts.sort((a, b) => depth(a.path) - depth(b.path) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);

  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  for (const mount of mounts) {
    if (mount.kind === 'tmpfs') args.push('--tmpfs', mount.path);
    else args.push(`--${mount.kind}`, mount.path, mount.path);
  }
  args.push(...ISOLATION, '--chdir', root);
  return args;
}

/** Cache locations tools write to outside the work tree, moved into the sandbox's private /tmp. */
export function sandboxEnv(env: Record<string, string>): Record<string, string> {
  return {
    ...env,
    TMPDIR: '/tmp',
    XDG_CACHE_HOME: '/tmp/.cache',
    GOCACHE: '/tmp/.cache/go-build',
    npm_config_cache: '/tmp/.npm',
  };
}

const probes = new Map<string, Promise<BwrapProbe>>();

/**
 * Tries bubblewrap once per process (per program path) with every flag {@link bwrapArgs} uses,
 * running `true`. A machine where user namespaces are off, or a container without the rights
 * bwrap needs, fails here rather than at the first real command.
 */
export function probeBwrap(path = 'bwrap'): Promise<BwrapProbe> {
  let probe = probes.get(path);
  if (probe === undefined) {
    probe = runProbe(path);
    probes.set(path, probe);
  }
  return probe;
}

function runProbe(path: string): Promise<BwrapProbe> {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run', ...ISOLATION, 'true'];
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const done = (result: BwrapProbe): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ok: false, path, reason: 'bwrap did not answer within 5 s' });
    }, 5000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      done({ ok: false, path, reason: error.code === 'ENOENT' ? `${path} not found` : error.message });
    });
    child.on('close', (code, signal) => {
      if (code === 0) done({ ok: true, path });
      else {
        const line = stderr.trim().split('\n')[0];
        done({ ok: false, path, reason: line !== undefined && line !== '' ? line : `bwrap exited with ${code ?? signal}` });
      }
    });
  });
}
