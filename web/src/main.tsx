/** The Gloves device page: status and live frame, sightings, pets, visitors, compare. Served by the daemon at `/`. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { Compare } from './Compare.js';
import { usePoll } from './hooks.js';
import { Pets } from './Pets.js';
import { Sightings } from './Sightings.js';
import { LiveFrame, Status } from './Status.js';
import { TokenBar } from './TokenBar.js';
import type { Pet } from './types.js';
import { Visitors } from './Visitors.js';

function App() {
  // Bumped when the token changes, so every panel refetches with it.
  const [version, setVersion] = useState(0);
  const pets = usePoll<{ pets: Pet[] }>('/v1/pets', 10_000, version);
  return (
    <div key={version}>
      <header class="top">
        <h1>Gloves</h1>
        <TokenBar onChange={() => setVersion((v) => v + 1)} />
      </header>
      <main>
        <Status />
        <LiveFrame />
        <Sightings />
        <Pets pets={pets} />
        <Visitors pets={pets.data?.pets ?? []} onNamed={pets.reload} />
        <Compare />
      </main>
    </div>
  );
}

const root = document.getElementById('app')!;
// Preact diffs against what is there: drop the "Loading" placeholder first.
root.textContent = '';
render(<App />, root);
