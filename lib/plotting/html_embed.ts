/** Helpers for putting JSON and library code inside inline <script> elements safely. */
import { readFileSync } from 'node:fs';

/** JSON that cannot close the surrounding <script> (nor open an HTML comment). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** JavaScript source that cannot close the surrounding <script>. */
export function jsForScript(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script');
}

const cache = new Map<string, string>();

/** Source of an installed browser bundle, e.g. 'vega/build/vega.min.js' (read once per process). */
export function bundledScript(moduleFile: string): string {
  let src = cache.get(moduleFile);
  if (src === undefined) {
    src = jsForScript(readFileSync(require.resolve(moduleFile), 'utf8'));
    cache.set(moduleFile, src);
  }
  return src;
}

export function escapeHtml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}
