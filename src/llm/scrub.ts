import { REDACTED, isSecretLongEnough, redactShapes } from '../util/secrets.js';

/**
 * Replaces every known secret and anything shaped like a credential with `[redacted]`: SDK and
 * server messages can carry one even when we do not know the exact value (OpenAI's 401 echoes a
 * masked prefix of the key, proxies echo headers).
 */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && isSecretLongEnough(secret)) out = out.split(secret).join(REDACTED);
  }
  return scrubUrls(redactShapes(out));
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
