// The encoded-answer cache: key = (lower-cased question bytes, size limit, DO bit), valid for one catalog
// version. Each entry holds a few pre-shuffled encodings, served in turn; bounded (oldest entry goes first).

export interface CachedAnswer {
  /** Encoded responses (the same records in different orders); ID and question case are patched per query. */
  readonly variants: Buffer[];
  readonly rcode: number;
  next: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private version = -1;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedAnswer | undefined {
    return this.entries.get(key);
  }

  set(key: string, variants: Buffer[], rcode: number): CachedAnswer {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const entry: CachedAnswer = { variants, rcode, next: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  /** Drops every entry unless `version` is the one the entries were built for. */
  invalidate(version: number): void {
    if (version === this.version) return;
    this.version = version;
    this.entries.clear();
  }
}

/** The next variant of an entry (round robin: answers rotate per query). */
export function nextVariant(entry: CachedAnswer): Buffer {
  const v = entry.variants[entry.next]!;
  entry.next = entry.next + 1 === entry.variants.length ? 0 : entry.next + 1;
  return v;
}

/** Fisher–Yates on a copy, with an injected random source. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
