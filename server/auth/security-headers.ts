/**
 * Headers on every answer: a Content-Security-Policy that keeps scripts, styles and
 * connections to our own origin and forbids framing (the alert and webhook forms cannot be
 * clickjacked), no MIME sniffing, no full URLs in Referer to other sites, and HSTS when the
 * dashboard is served over https.
 *
 * Next's App Router inlines its bootstrap scripts, so script-src allows inline scripts;
 * a nonce per request would need Next's proxy (middleware) on every page render.
 */
export function securityHeaders(options: { dev: boolean; https: boolean }): Record<string, string> {
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${options.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    ...(options.https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}
