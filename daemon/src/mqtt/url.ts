/**
 * Broker URLs: the one check (used by the config schema, so `gloves config check`
 * refuses what `gloves run` would) and the one masking of the password in them.
 * Every message here shows the URL masked: a URL that does not even parse is
 * masked by its text, so a password with an unencoded `#` or a trailing `@` is
 * never echoed.
 */

export const BROKER_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:', 'tls:'] as const;

/** A broker URL fit for logs and errors: the password, if any, replaced by ***; works on text that is no URL. */
export function redactUrl(url: string): string {
  // Up to the LAST '@' of the authority: an unencoded '#', '/' or '@' inside a password must stay hidden.
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)(.*)@([^@]*)$/is.exec(url);
  return m ? `${m[1]}***@${m[3]}` : url;
}

/** Pure: what is wrong with a broker URL (masked), or null. */
export function brokerUrlProblem(raw: string): string | null {
  const shown = JSON.stringify(redactUrl(raw));
  if (raw.trim() === '') return 'must not be empty (e.g. mqtt://broker.local:1883)';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  if (!scheme) return `${shown} is not a URL (expected mqtt://host[:port], mqtts://, ws:// or wss://)`;
  const protocol = `${scheme[1]!.toLowerCase()}:`;
  if (!(BROKER_SCHEMES as readonly string[]).includes(protocol))
    return `${shown} has the unsupported scheme ${protocol}// (use mqtt://, mqtts://, ws:// or wss://)`;
  const rest = raw.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : '';
  const hostPort = (at >= 0 ? rest.slice(at + 1) : rest).split(/[/?#]/)[0]!;
  if (/[#/?]/.test(userinfo) || userinfo.indexOf('@') >= 0)
    return `${shown}: the username or password contains an unencoded '#', '/', '?' or '@'; write them as %23, %2F, %3F, %40`;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort)!;
  if (hp[1] === '') return `${shown} has no host (e.g. mqtt://broker.local:1883); it would silently mean this machine`;
  if (hp[2] !== undefined) {
    if (!/^\d+$/.test(hp[2])) return `${shown}: port ${JSON.stringify(hp[2])} is not a number`;
    const port = Number(hp[2]);
    if (port < 1 || port > 65535) return `${shown}: port ${port} is outside 1-65535`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${shown} is not a valid URL`;
  }
  for (const [part, value] of [
    ['username', url.username],
    ['password', url.password],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `${shown}: the ${part} has a bad %-escape ('%' must be followed by two hex digits; write a literal % as %25)`;
    }
  }
  return null;
}
