/**
 * Whether a process with this pid exists (EPERM: it exists, owned by someone else). Anything but
 * a positive whole number is no process: `kill(0, 0)` and `kill(-1, 0)` would ask about groups.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
