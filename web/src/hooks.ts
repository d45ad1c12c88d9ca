/** Small hooks the panels share: polling a JSON route, and images fetched with the token. */
import { useEffect, useState } from 'preact/hooks';
import { describe, get, imageUrl } from './api.js';

export interface Polled<T> {
  data: T | null;
  error: string | null;
  /** Fetch again now (after a change made from the page). */
  reload(): void;
}

/** GET `path` now and every `everyMs` (0: only on reload); `version` changes force a refetch. */
export function usePoll<T>(path: string, everyMs: number, version = 0): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const load = (): void => {
      get<T>(path).then(
        (d) => live && (setData(d), setError(null)),
        (e: unknown) => live && setError(describe(e)),
      );
    };
    load();
    const timer = everyMs > 0 ? setInterval(load, everyMs) : undefined;
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [path, everyMs, version, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

/** An object URL for an API image, revoked when replaced or unmounted; `refresh` refetches. */
export function useImage(path: string | null, refresh = 0): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!path) return;
    let live = true;
    let made: string | null = null;
    imageUrl(path).then(
      (u) => {
        if (!live) return URL.revokeObjectURL(u);
        made = u;
        setUrl(u);
      },
      () => undefined,
    );
    return () => {
      live = false;
      // Keep showing the previous image until the next one arrives: revoke only on the next effect's success.
      if (made) setTimeout(() => URL.revokeObjectURL(made!), 5_000);
    };
  }, [path, refresh]);
  return url;
}

export interface Action {
  busy: boolean;
  error: string | null;
  /** Runs one change against the API: busy while it runs, its error kept for display, `onDone` after success. */
  run(what: () => Promise<unknown>): Promise<void>;
}

/** One place for "call the API, show busy, show the error, refresh after": the pet and visitor cards share it. */
export function useAction(onDone: () => void): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return {
    busy,
    error,
    async run(what) {
      setBusy(true);
      setError(null);
      try {
        await what();
        onDone();
      } catch (e) {
        setError(describe(e));
      } finally {
        setBusy(false);
      }
    },
  };
}
