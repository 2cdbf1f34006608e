const REDACTED = '[redacted]';

// Shapes of credentials that can turn up in SDK and server messages even when we do not
// know the exact value (OpenAI's 401 echoes a masked prefix of the key, proxies echo headers).
const PATTERNS: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_*-]{6,}/g,
  // Google API keys (Gemini): `AIza` and 35 more characters.
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=*-]{6,}/gi,
  /\b(x-api-key|api[_-]?key|authorization|access[_-]?token|token|key)(["']?\s*[:=]\s*["']?)(?!(?:Bearer|Basic)\b|\[redacted\])[^\s"'&,;]{6,}/gi,
];

/** Replaces every known secret and anything shaped like a credential with `[redacted]`. */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  for (const secret of secrets) {
    // Short values would redact ordinary words; no real key is that short.
    if (secret && secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(PATTERNS[0]!, REDACTED).replace(PATTERNS[1]!, REDACTED).replace(PATTERNS[2]!, (match) => `${match.split(/\s+/)[0]} ${REDACTED}`);
  out = out.replace(PATTERNS[3]!, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  return scrubUrls(out);
}

/** Drops user-info from URLs inside a text (`https://user:pass@host` -> `https://[redacted]@host`). */
function scrubUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, `$1${REDACTED}@`);
}

/** A URL fit for a message: no credentials, no query string, no fragment. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return scrubUrls(url.split('?')[0] ?? url);
  }
}
