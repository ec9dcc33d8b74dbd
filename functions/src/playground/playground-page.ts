import { createHash } from 'node:crypto';
import type { ApiConfig } from '../api/api-config.ts';
import { playgroundMarkup } from './playground-markup.ts';
import { playgroundScript } from './playground-script.ts';
import { PLAYGROUND_STYLE } from './playground-style.ts';

export interface PlaygroundPage {
  readonly html: string;
  /** Allows exactly the page's own script and style (by hash), the API's origin, and images. */
  readonly contentSecurityPolicy: string;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The playground: one self-contained HTML page (no build step, no external resources) whose
 * script calls the API on its own origin. The Content-Security-Policy names the inline script and
 * style by hash, so nothing else can run on the page; `connect-src` and `img-src` also allow
 * https origins for presigned S3 URLs (uploads and outputs) on AWS.
 */
export function buildPlaygroundPage(config: ApiConfig): PlaygroundPage {
  const script = playgroundScript({
    maxInlineImageBytes: config.limits.maxInlineImageBytes,
    pollIntervalMs: 400,
  });
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VIBE playground</title>
<link rel="icon" href="data:,">
<style>${PLAYGROUND_STYLE}</style>
</head>
<body>
${playgroundMarkup(config.defaults)}
<script>${script}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(PLAYGROUND_STYLE)}`,
    "img-src 'self' blob: data: https:",
    "connect-src 'self' https:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
