/** Recent sightings (GET /v1/sightings) with their crops. */
import { ApiImage } from './ApiImage.js';
import { usePoll } from './hooks.js';
import type { Sighting } from './types.js';

const time = (iso: string): string => new Date(iso).toLocaleTimeString();

export function Sightings() {
  const s = usePoll<{ sightings: Sighting[] }>('/v1/sightings?limit=12', 3_000);
  const list = s.data?.sightings ?? [];
  return (
    <section class="card" aria-label="Sightings">
      <h2>Recent sightings</h2>
      {s.error && <p class="error">{s.error}</p>}
      {list.length === 0 && !s.error && <p class="muted">Nothing seen yet.</p>}
      <ul class="grid">
        {list.map((x) => (
          <li key={x.id} class="tile">
            {x.snapshot ? (
              <ApiImage src={x.snapshot} alt={x.pet ?? x.visitor ?? x.type} className="thumb" />
            ) : (
              <div class="thumb placeholder" />
            )}
            <span>{x.pet ?? (x.visitor ? `visitor ${x.visitor}` : 'unknown')}</span>
            <small>
              {time(x.ts)} · {Math.round(x.confidence * 100)}%
            </small>
          </li>
        ))}
      </ul>
    </section>
  );
}
