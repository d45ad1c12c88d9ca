/** Device health (GET /healthz) and the live annotated frame (GET /v1/frame.jpg). */
import { useEffect, useState } from 'preact/hooks';
import { ApiImage } from './ApiImage.js';
import { usePoll } from './hooks.js';
import type { Health } from './types.js';

export function Status() {
  const health = usePoll<Health>('/healthz', 5_000);
  return (
    <section class="card status" aria-label="Status">
      <h2>
        Status{' '}
        {health.data && (
          <span class={`pill ${health.data.status}`} data-testid="health">
            {health.data.status}
          </span>
        )}
      </h2>
      {health.error && <p class="error">{health.error}</p>}
      <ul class="checks">
        {Object.entries(health.data?.checks ?? {}).map(([name, c]) => (
          <li key={name} class={c.status}>
            <b>{name}</b> {c.status}
            {c.reason ? `: ${c.reason}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function LiveFrame() {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 1_000);
    return () => clearInterval(t);
  }, []);
  return (
    <section class="card live" aria-label="Live">
      <h2>Live</h2>
      <ApiImage src="/v1/frame.jpg" alt="The latest frame, with boxes and names" className="frame" refresh={tick} />
    </section>
  );
}
