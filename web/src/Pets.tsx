/** The pets and their photos: add a pet, upload photos (each accepted or rejected with its reason), delete photos or pets. */
import { useState } from 'preact/hooks';
import { del, describe, post } from './api.js';
import { ApiImage } from './ApiImage.js';
import { useAction, type Polled } from './hooks.js';
import type { EnrolResult, Pet } from './types.js';

function PetCard(props: { pet: Pet; onChange(): void }) {
  const { pet } = props;
  const [results, setResults] = useState<EnrolResult[]>([]);
  const { busy, error, run: act } = useAction(props.onChange);
  const upload = (files: FileList | null): void => {
    if (!files || files.length === 0) return;
    const form = new FormData();
    for (const f of Array.from(files)) form.append('photos', f, f.name);
    void act(async () => setResults((await post<{ results: EnrolResult[] }>(`/v1/pets/${pet.id}/photos`, form)).results));
  };
  return (
    <li class="pet" data-pet={pet.id}>
      <header>
        <h3>{pet.name}</h3>
        <span class="muted">
          {pet.photos.length} photo{pet.photos.length === 1 ? '' : 's'}
          {pet.state?.present ? ' · here now' : ''}
        </span>
        <button
          class="danger"
          disabled={busy}
          onClick={() => confirm(`Remove ${pet.name} and all its photos?`) && void act(() => del(`/v1/pets/${pet.id}`))}
        >
          Remove
        </button>
      </header>
      <ul class="grid photos">
        {pet.photos.map((ph) => (
          <li key={ph.id} class="tile">
            <ApiImage src={ph.url} alt={`${pet.name} ${ph.id}`} className="thumb" />
            <button
              class="x"
              title="Delete this photo"
              disabled={busy}
              onClick={() => void act(() => del(`/v1/pets/${pet.id}/photos/${ph.id}`))}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      <label class="upload">
        {busy ? 'Working…' : 'Add photos'}
        <input
          type="file"
          name="photos"
          accept="image/jpeg,image/png,image/webp"
          multiple
          disabled={busy}
          onChange={(e) => upload(e.currentTarget.files)}
        />
      </label>
      {error && <p class="error">{error}</p>}
      {results.length > 0 && (
        <ul class="results">
          {results.map((r) => (
            <li key={r.image} class={r.accepted ? 'ok' : 'failing'}>
              {r.image}: {r.accepted ? 'added' : `rejected (${r.reason ?? r.code})`}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

export function Pets(props: { pets: Polled<{ pets: Pet[] }> }) {
  const { pets } = props;
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      await post('/v1/pets', { name: name.trim() });
      setName('');
      pets.reload();
    } catch (err) {
      setError(describe(err));
    }
  };
  return (
    <section class="card" aria-label="Pets">
      <h2>Pets</h2>
      <form class="row" onSubmit={(e) => void add(e)}>
        <input
          name="name"
          placeholder="New pet's name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit">Add pet</button>
      </form>
      {(error ?? pets.error) && <p class="error">{error ?? pets.error}</p>}
      {pets.data?.pets.length === 0 && <p class="muted">No pets yet: add one, then upload a few photos of it.</p>}
      <ul class="pets">
        {(pets.data?.pets ?? []).map((p) => (
          <PetCard key={p.id} pet={p} onChange={pets.reload} />
        ))}
      </ul>
    </section>
  );
}
