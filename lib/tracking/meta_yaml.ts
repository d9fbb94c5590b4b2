/**
 * The flat `meta.yaml` files of MLflow's file store: a map of scalars (plus the legacy `tags: []`).
 * Written like PyYAML's `safe_dump` (sorted keys); strings always quoted so ids such as '1' stay strings.
 * The reader accepts what PyYAML writes for these files too (plain/quoted scalars, folded continuation lines).
 */
import { TrackingError } from './errors';

export type MetaValue = string | number | null | [];
export type Meta = Record<string, MetaValue>;

function scalar(v: MetaValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TrackingError(`meta.yaml: ${v} is not an integer`);
    return String(v);
  }
  // Single quotes need no escapes except '' — unless the string has control characters or non-printables.
  if (/^[\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/.test(v) && !/^\s|\s$/.test(v)) return `'${v.replace(/'/g, "''")}'`;
  return JSON.stringify(v); // JSON string escapes are valid YAML double-quoted escapes
}

export function dumpMeta(meta: Meta): string {
  return (
    Object.keys(meta)
      .sort()
      .map((k) => `${k}: ${scalar(meta[k])}`)
      .join('\n') + '\n'
  );
}

export function parseMeta(text: string, file = 'meta.yaml'): Meta {
  const out: Meta = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const m = /^([A-Za-z_][\w]*):(?:\s+(.*)|)$/.exec(line);
    if (!m) throw new TrackingError(`${file}: cannot parse line ${i + 1}: ${JSON.stringify(line)}`);
    let raw = (m[2] ?? '').trimEnd();
    // PyYAML folds long scalars onto indented continuation lines.
    while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1])) raw += '\n' + lines[++i].trim();
    out[m[1]] = parseScalar(raw, file, m[1]);
  }
  return out;
}

function parseScalar(raw: string, file: string, key: string): MetaValue {
  if (raw === '' || raw === 'null' || raw === '~' || raw === 'Null' || raw === 'NULL') return null;
  if (raw === '[]') return [];
  if (raw.startsWith("'")) {
    if (!raw.endsWith("'") || raw.length < 2) throw new TrackingError(`${file}: unterminated string for '${key}'`);
    return fold(raw.slice(1, -1)).replace(/''/g, "'");
  }
  if (raw.startsWith('"')) {
    if (!raw.endsWith('"') || raw.length < 2) throw new TrackingError(`${file}: unterminated string for '${key}'`);
    const body = raw
      .slice(1, -1)
      .replace(/\\\n\s*/g, '') // escaped line break: no space
      .replace(/\n/g, ' ');
    try {
      return JSON.parse(`"${body.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\t/g, '\\t')}"`) as string;
    } catch {
      throw new TrackingError(`${file}: cannot parse string for '${key}': ${raw}`);
    }
  }
  if (/^[-+]?\d+$/.test(raw)) return Number(raw);
  return fold(raw);
}

// YAML line folding: a single line break becomes a space, an empty line a newline.
function fold(s: string): string {
  return s.replace(/\n(\n*)/g, (_m, extra: string) => (extra.length ? extra : ' '));
}
