/** Asks for the device's API token once and keeps it in this browser's storage. */
import { useEffect, useState } from 'preact/hooks';
import { storedToken, storeToken, UNAUTHORIZED_EVENT } from './api.js';

export function TokenBar(props: { onChange(): void }) {
  const [open, setOpen] = useState(storedToken() === '');
  const [value, setValue] = useState('');
  useEffect(() => {
    const reopen = (): void => setOpen(true);
    window.addEventListener(UNAUTHORIZED_EVENT, reopen);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, reopen);
  }, []);
  if (!open)
    return (
      <button class="link" onClick={() => setOpen(true)}>
        Change token
      </button>
    );
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        storeToken(value.trim());
        setOpen(false);
        props.onChange();
      }}
    >
      <label>
        Device token
        <input
          name="token"
          type="password"
          autocomplete="current-password"
          placeholder="http.token of this device"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Save</button>
      {storedToken() !== '' && (
        <button type="button" class="link" onClick={() => setOpen(false)}>
          Cancel
        </button>
      )}
    </form>
  );
}
