/**
 * The finished records of a long experiment on disk, so that an interrupted run resumes where it stopped (the 64²
 * label-count sweep trains about 50 U-Nets: hours, more than a session). The file is rewritten atomically after every
 * record and names the configuration it belongs to: a journal of another configuration, or one that does not parse,
 * is set aside (renamed, never deleted) and the run starts afresh.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { writeFileAtomic } from './atomic_write';

/**
 * Records in the journal at `path` without opening it for a run (for plans and publishing): 0 when there is none or
 * it does not parse — a run sets such a file aside and says so. The fingerprint is not checked.
 */
export function journalSize(path: string): number {
  try {
    const r = (JSON.parse(readFileSync(path, 'utf8')) as { records?: unknown }).records;
    return Array.isArray(r) ? r.length : 0;
  } catch {
    return 0;
  }
}

export type JournalOpen = 'new' | 'resumed' | 'set-aside';

export class RecordJournal<R> {
  /** Finished records by key, in the order they were finished. */
  private readonly records = new Map<string, R>();
  /** How the journal was opened; with 'set-aside', `setAside` is where the old file went. */
  readonly opened: JournalOpen;
  readonly setAside: string | null = null;

  constructor(
    readonly path: string,
    readonly fingerprint: unknown,
    private readonly keyOf: (r: R) => string,
  ) {
    if (!existsSync(path)) {
      this.opened = 'new';
      return;
    }
    let doc: { fingerprint?: unknown; records?: unknown } | null = null;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8')) as { fingerprint?: unknown; records?: unknown };
    } catch {
      doc = null;
    }
    if (doc && Array.isArray(doc.records) && JSON.stringify(doc.fingerprint) === JSON.stringify(fingerprint)) {
      for (const r of doc.records as R[]) this.keep(r);
      this.opened = 'resumed';
      return;
    }
    this.setAside = `${path}.${doc ? 'other-config' : 'unreadable'}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, this.setAside);
    this.opened = 'set-aside';
  }

  /** A second record of a key keeps the first. */
  private keep(r: R): void {
    const k = this.keyOf(r);
    if (!this.records.has(k)) this.records.set(k, r);
  }

  get size(): number {
    return this.records.size;
  }

  /** The finished record with this key, if any. */
  get(key: string): R | undefined {
    return this.records.get(key);
  }

  /** Adds a finished record and writes the journal (atomic: a crash leaves the previous one whole). */
  add(r: R): void {
    this.keep(r);
    writeFileAtomic(this.path, JSON.stringify({ fingerprint: this.fingerprint, records: [...this.records.values()] }));
  }

  /** Records of a finished run (its results file) taken as done, in memory only: nothing is left to run for them. */
  reuse(records: readonly R[]): void {
    for (const r of records) this.keep(r);
  }

  /** Forgets the records `stale` picks (made by code since fixed: they run again) and returns them; the file drops them at the next add. */
  discard(stale: (r: R) => boolean): R[] {
    const out: R[] = [];
    for (const [k, r] of this.records) {
      if (!stale(r)) continue;
      out.push(r);
      this.records.delete(k);
    }
    return out;
  }

  /** The run finished and wrote its results: a rerun starts afresh. */
  remove(): void {
    rmSync(this.path, { force: true });
  }
}
