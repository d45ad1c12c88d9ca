/** Visitors (unknown animals the device clustered), each with its crops, a "This is…" button to name it, and forget. */
import { useState } from 'preact/hooks';
import { del, post } from './api.js';
import { ApiImage } from './ApiImage.js';
import { useAction, usePoll } from './hooks.js';
import type { Pet, Visitor } from './types.js';

function VisitorCard(props: { v: Visitor; petNames: string[]; onChange(): void }) {
  const { v } = props;
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const { error, run: act } = useAction(props.onChange);
  return (
    <li class="visitor" data-visitor={v.id}>
      <header>
        <h3>Visitor {v.id}</h3>
        <span class="muted">
          seen {v.sightings}× · last {new Date(v.last_seen).toLocaleString()}
        </span>
      </header>
      <ul class="grid photos">
        {v.crops.slice(0, 6).map((c) => (
          <li key={c.file} class="tile">
            <ApiImage src={c.url} alt={`visitor ${v.id}`} className="thumb" />
          </li>
        ))}
      </ul>
      {naming ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => post(`/v1/visitors/${v.id}/name`, { name: name.trim() }));
          }}
        >
          <input
            name="visitor-name"
            list="pet-names"
            placeholder="Name (new or existing pet)"
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit">Save</button>
        </form>
      ) : (
        <div class="row">
          <button onClick={() => setNaming(true)}>This is…</button>
          <button class="danger" onClick={() => void act(() => del(`/v1/visitors/${v.id}`))}>
            Forget
          </button>
        </div>
      )}
      {error && <p class="error">{error}</p>}
    </li>
  );
}

export function Visitors(props: { pets: Pet[]; onNamed(): void }) {
  const visitors = usePoll<{ visitors: Visitor[] }>('/v1/visitors', 5_000);
  const list = visitors.data?.visitors ?? [];
  return (
    <section class="card" aria-label="Visitors">
      <h2>Visitors</h2>
      <datalist id="pet-names">
        {props.pets.map((p) => (
          <option key={p.id} value={p.name} />
        ))}
      </datalist>
      {visitors.error && <p class="error">{visitors.error}</p>}
      {list.length === 0 && !visitors.error && <p class="muted">No unknown animals so far.</p>}
      <ul class="pets">
        {list.map((v) => (
          <VisitorCard
            key={v.id}
            v={v}
            petNames={props.pets.map((p) => p.name)}
            onChange={() => {
              visitors.reload();
              props.onNamed();
            }}
          />
        ))}
      </ul>
    </section>
  );
}
