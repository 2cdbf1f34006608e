// Code points that HFS+ ignores when comparing names, so `.g\u200cit` is `.git` there (CVE-2014-9390).
const IGNORABLE = /[\u200b-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * True when a single path component would name a git directory on some file system:
 * `.git` in any case, with trailing dots or spaces (Windows strips them), with an NTFS
 * stream suffix (`.git::$INDEX_ALLOCATION`), with HFS+ ignorable code points, or the
 * 8.3 short name `git~1` (CVE-2019-1353, CVE-2014-9390).
 */
export function isGitDirName(component: string): boolean {
  let name = component.replace(IGNORABLE, '').toLowerCase();
  const stream = name.indexOf(':');
  if (stream !== -1) name = name.slice(0, stream);
  name = name.replace(/[. ]+$/, '');
  if (name === '.git') return true;
  return /^git~\d+$/.test(name);
}

/** True when a component is a `.env` file that may hold secrets (templates such as `.env.example` are not). */
export function isEnvFileName(component: string): boolean {
  const name = component.toLowerCase();
  if (!name.startsWith('.env')) return false;
  return !/^\.env\.(example|sample|template|dist|defaults)$/.test(name);
}
