/**
 * The device page at `/`: the bundle that `npm run build` writes (web/ -> dist/web). The shell is
 * public (it holds no data: every panel then asks the API, with the token). Without a build the
 * page says how to make one instead of a bare 404.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { GlovesError } from '../../errors.js';
import type { RouteGroup } from '../route.js';

export const webRoutes: RouteGroup = async (app, { deps }) => {
  const root = deps.webRoot;
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', { schema: { hide: true }, config: { access: 'public' } }, async () => {
      throw new GlovesError('HTTP_UNAVAILABLE', `the web page is not built (no ${join(root, 'index.html')}): run npm run build`);
    });
    return;
  }
  // The static routes are declared by the plugin, so mark them public as they are declared.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'public' };
  });
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    // Only the built files, never a listing; the shell and its two assets are public.
    list: false,
    // One route per built file, found at start: no wildcard that would shadow the API's 404s.
    wildcard: false,
    dotfiles: 'deny',
    schemaHide: true,
    cacheControl: false,
    setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
  });
};
