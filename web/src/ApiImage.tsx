import { useImage } from './hooks.js';

/** An <img> for an API image path (fetched with the token). */
export function ApiImage(props: { src: string; alt: string; className?: string; refresh?: number }) {
  const url = useImage(props.src, props.refresh ?? 0);
  return url ? <img src={url} alt={props.alt} class={props.className} /> : <div class={`placeholder ${props.className ?? ''}`} />;
}
