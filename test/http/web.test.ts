/**
 * The device page in a real browser: Debian's Chromium, headless, driven by playwright-core, against `gloves run` on the
 * shared clip with a private Mosquitto. Through the page only: give the token (a wrong one first), add a pet, enrol it from
 * shared photos, delete a photo, compare photos, name the clip's visitor. Then the pet is on the page, in /v1/pets and in
 * Home Assistant discovery on the broker. Screenshots (desktop and phone) are saved to .artifacts/web/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { catsDir, repoRoot } from '../helpers/paths.js';
import { record, type Recorder } from '../daemon/support/subscriber.js';
import { startHttpDaemon, TOKEN, type HttpDaemon } from './support/http-daemon.js';

const CHROMIUM = process.env.GLOVES_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(repoRoot, '.artifacts', 'web');
const photos = (cat: string, ...n: string[]): string[] => n.map((x) => join(catsDir, cat, `${x}.jpg`));

let d: HttpDaemon;
let ha: Recorder;
let browser: Browser;
let page: Page;

const discovered = (id: string): boolean =>
  ha.messages.some((m) => m.topic.startsWith('homeassistant/') && m.topic.includes(id) && m.payload.length > 0);

test.before(async () => {
  mkdirSync(artifacts, { recursive: true });
  d = await startHttpDaemon();
  ha = await record(d.broker.url, ['homeassistant/#']);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => void dialog.accept());
});
test.after(async () => {
  await browser?.close();
  await ha?.close();
  await d?.stop();
});

test('the shell is public and bundled: no request leaves the device', async () => {
  const offDevice: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(d.url) && !r.url().startsWith('blob:')) offDevice.push(r.url());
  });
  const res = await page.goto(d.url);
  assert.is(res?.status(), 200);
  await page.getByRole('heading', { name: 'Pets' }).waitFor();
  assert.equal(offDevice, []);
  // The API's 404 stays JSON next to the static files.
  const missing = await d.api('/v1/nope');
  assert.is(missing.status, 404);
});

test('the token is asked for once; a wrong one is named as such; the right one is kept across reloads', async () => {
  await page.fill('input[name=token]', 'wrong-token-0000000000');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.fill('input[name=name]', 'Nobody');
  await page.getByRole('button', { name: 'Add pet' }).click();
  await page.getByRole('region', { name: 'Pets' }).getByText('The device refused the token').waitFor();
  // A refused token reopens the token form by itself.
  await page.fill('input[name=token]', TOKEN);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.reload();
  await page.getByRole('button', { name: 'Change token' }).waitFor();
  assert.is(await page.locator('input[name=token]').count(), 0, 'no token prompt after a reload');
  await page.getByTestId('health').filter({ hasText: 'ok' }).waitFor({ timeout: 30_000 });
});

test('add a pet and enrol it from shared photos; delete one photo; it is in /v1/pets and in HA discovery', async () => {
  await page.fill('input[name=name]', 'Mittens');
  await page.getByRole('button', { name: 'Add pet' }).click();
  const card = page.locator('li[data-pet="mittens"]');
  await card.waitFor();
  await card.locator('input[type=file]').setInputFiles(photos('birba', '01', '02', '03', '04'));
  await card.getByText(/4 photos/).waitFor({ timeout: 60_000 });
  assert.is(await card.locator('.results li.ok').count(), 4, await card.innerText());
  await card.locator('img.thumb').nth(3).waitFor();
  await card.getByTitle('Delete this photo').first().click();
  await card.getByText(/3 photos/).waitFor();
  const pets = (await (await d.api('/v1/pets')).json()) as { pets: { id: string; photos: unknown[] }[] };
  assert.is(pets.pets.find((p) => p.id === 'mittens')?.photos.length, 3, JSON.stringify(pets));
  await ha.until(() => discovered('mittens'), 15_000, 'HA discovery of mittens');
});

test('compare: an anchor against two photos gives similarity and same-pet probability for each', async () => {
  const compare = page.getByRole('region', { name: 'Compare' });
  await compare.locator('input[name=anchor]').setInputFiles(photos('birba', '05'));
  await compare.locator('input[name=images]').setInputFiles([...photos('birba', '06'), ...photos('leo', '01')]);
  await compare.getByRole('button', { name: 'Compare', exact: true }).click();
  await compare.locator('table.compare tbody tr').nth(1).waitFor({ timeout: 60_000 });
  const rows = await compare.locator('table.compare tbody tr').allInnerTexts();
  assert.is(rows.length, 2);
  for (const r of rows) assert.match(r, /\d\.\d{3}\s+\d+%/);
});

test("name the clip's visitor from the page: it becomes a pet, on the page, in /v1/pets and in discovery", async () => {
  const visitor = page.locator('li[data-visitor]').first();
  await visitor.waitFor({ timeout: 90_000 });
  await visitor.locator('img.thumb').first().waitFor({ timeout: 30_000 });
  await visitor.getByRole('button', { name: 'This is…' }).click();
  await visitor.locator('input[name=visitor-name]').fill('Chair cat');
  await visitor.getByRole('button', { name: 'Save' }).click();
  await page.locator('li[data-pet="chair_cat"]').waitFor({ timeout: 30_000 });
  const pets = (await (await d.api('/v1/pets')).json()) as { pets: { id: string; photos: unknown[] }[] };
  assert.ok((pets.pets.find((p) => p.id === 'chair_cat')?.photos.length ?? 0) > 0, JSON.stringify(pets));
  await ha.until(() => discovered('chair_cat'), 15_000, 'HA discovery of chair_cat');
  await page.getByRole('region', { name: 'Sightings' }).locator('img.thumb').first().waitFor({ timeout: 30_000 });
  await page.getByRole('region', { name: 'Live' }).locator('img.frame').waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(artifacts, 'desktop.png'), fullPage: true });
});

test('on a phone: one column, nothing wider than the screen; screenshot', async () => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  // The token is kept per browser profile (localStorage), so a new page of the same browser context would have it;
  // this is a new context, so the phone asks once.
  await phone.goto(d.url);
  await phone.fill('input[name=token]', TOKEN);
  await phone.getByRole('button', { name: 'Save' }).click();
  await phone.locator('li[data-pet="mittens"] img.thumb').first().waitFor({ timeout: 30_000 });
  // A page wider than the phone makes a mobile browser widen its layout viewport, so measure every element instead.
  const widest = await phone.evaluate(() =>
    Math.max(...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right)),
  );
  assert.ok(widest <= 390.5, `an element reaches ${widest}px on a 390px-wide phone`);
  assert.is(await phone.locator('.boot').count(), 0, 'the loading placeholder is gone');
  await phone.screenshot({ path: join(artifacts, 'phone.png'), fullPage: true });
  await phone.close();
});

test('remove a pet from the page: gone from /v1/pets and its discovery cleared', async () => {
  const card = page.locator('li[data-pet="chair_cat"]');
  await card.getByRole('button', { name: 'Remove' }).click();
  await card.waitFor({ state: 'detached' });
  const pets = (await (await d.api('/v1/pets')).json()) as { pets: { id: string }[] };
  assert.not.ok(pets.pets.some((p) => p.id === 'chair_cat'));
  await ha.until(
    () => ha.messages.some((m) => m.topic.startsWith('homeassistant/') && m.topic.includes('chair_cat') && m.payload.length === 0),
    15_000,
    'discovery of chair_cat cleared',
  );
});

test.run();
