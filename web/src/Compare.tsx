/** The compare tool: one anchor photo against others, similarity and same-pet probability for each (POST /v1/compare). */
import { useState } from 'preact/hooks';
import { describe, post } from './api.js';
import type { CompareResult } from './types.js';

const pct = (x: number | undefined): string => (x === undefined ? '–' : `${Math.round(x * 100)}%`);

export function Compare() {
  const [anchor, setAnchor] = useState<File | null>(null);
  const [others, setOthers] = useState<File[]>([]);
  const [results, setResults] = useState<CompareResult[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!anchor || others.length === 0) return setError('Choose an anchor photo and at least one photo to compare.');
    const form = new FormData();
    form.append('anchor', anchor, anchor.name);
    for (const f of others) form.append('images', f, f.name);
    setBusy(true);
    setError(null);
    try {
      setResults((await post<{ results: CompareResult[] }>('/v1/compare', form)).results);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-label="Compare">
      <h2>Compare</h2>
      <form class="stack" onSubmit={(e) => void run(e)}>
        <label>
          Anchor photo
          <input type="file" name="anchor" accept="image/*" onChange={(e) => setAnchor(e.currentTarget.files?.[0] ?? null)} />
        </label>
        <label>
          Photos to compare
          <input type="file" name="images" accept="image/*" multiple onChange={(e) => setOthers(Array.from(e.currentTarget.files ?? []))} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Comparing…' : 'Compare'}
        </button>
      </form>
      {error && <p class="error">{error}</p>}
      {results.length > 0 && (
        <table class="compare">
          <thead>
            <tr>
              <th>Photo</th>
              <th>Similarity</th>
              <th>Same pet</th>
            </tr>
          </thead>
          <tbody>
            {results.map((r) => (
              <tr key={r.image}>
                <td>{r.image}</td>
                {r.error ? (
                  <td colSpan={2}>{r.error.message}</td>
                ) : (
                  <>
                    <td>{r.similarity?.toFixed(3) ?? '–'}</td>
                    <td>{pct(r.probability)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
