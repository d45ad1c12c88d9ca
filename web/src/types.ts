/** The API's shapes the page reads (see /v1/openapi.json). */
export interface Check {
  status: 'ok' | 'failing';
  reason?: string;
}
export interface Health {
  status: 'ok' | 'failing';
  checks: Record<string, Check>;
}
export interface Photo {
  id: string;
  added_at: string;
  url: string;
}
export interface Pet {
  id: string;
  name: string;
  created_at: string;
  photos: Photo[];
  state?: { present?: boolean; last_seen?: string } | null;
}
export interface Visitor {
  id: string;
  sightings: number;
  first_seen: string;
  last_seen: string;
  crops: { file: string; url: string }[];
}
export interface Sighting {
  id: string;
  type: string;
  pet: string | null;
  visitor: string | null;
  ts: string;
  confidence: number;
  snapshot: string | null;
}
export interface EnrolResult {
  image: string;
  accepted: boolean;
  code?: string;
  reason?: string;
}
export interface CompareResult {
  image: string;
  similarity?: number;
  probability?: number;
  error?: { code: string; message: string };
}
