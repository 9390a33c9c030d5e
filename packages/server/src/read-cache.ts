import { scoresVersion, type Queryable } from '@agora/store';

/**
 * Answers of reads computed from a whole collaboration's history (the leaderboard, the lineage,
 * frontier and progress), kept per collaboration and question with the collaboration's scores
 * version they were computed at (its newest event that may change a score: store scoresVersion,
 * decision 0171). Every write appends an event in its transaction, so an answer is reused only
 * while no such event has landed since: a cached answer is never stale. Posts do not move it.
 * The version is read before the answer is computed, so what is stored reflects at least that
 * version; a newer version computes afresh and replaces it.
 *
 * One cache per database handle (a WeakMap on the Db the server was given), bounded by entries;
 * concurrent misses for one question share one computation.
 */
const MAX_ENTRIES = 256;

interface Entry {
  version: number;
  answer: Promise<unknown>;
}

export interface ReadCacheStats {
  hits: number;
  misses: number;
}

class ReadCache {
  private entries = new Map<string, Entry>();
  stats: ReadCacheStats = { hits: 0, misses: 0 };

  get<T>(key: string, version: number, compute: () => Promise<T>): Promise<T> {
    const found = this.entries.get(key);
    if (found && found.version === version) {
      this.stats.hits++;
      // Most recently used last: the Map's order is the eviction order.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.answer as Promise<T>;
    }
    this.stats.misses++;
    const answer = compute();
    // A request that read an older version than the one stored does not replace it.
    if (!found || found.version < version) {
      this.entries.delete(key);
      this.entries.set(key, { version, answer });
      while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      // A failed computation is not kept: the next request tries again.
      answer.catch(() => {
        if (this.entries.get(key)?.answer === answer) this.entries.delete(key);
      });
    }
    return answer;
  }
}

const caches = new WeakMap<object, ReadCache>();
const cacheOf = (db: Queryable) => {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new ReadCache()));
  return c;
};

/**
 * The answer to `question` about collaboration `collabId`, from the cache if no event that may
 * change a score has landed in the collaboration since it was computed. `question` must name everything else the answer
 * depends on (the read, its parameters, a freeze cutoff).
 */
export async function cachedByEvents<T>(db: Queryable, collabId: number, question: string, compute: () => Promise<T>): Promise<T> {
  const version = await scoresVersion(db, collabId);
  return cacheOf(db).get(`${collabId}\u0000${question}`, version, compute);
}

/** Hits and misses of a database handle's cache (tests and benchmarks). */
export const readCacheStats = (db: Queryable): ReadCacheStats => ({ ...cacheOf(db).stats });
