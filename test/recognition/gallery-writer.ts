// Child process for gallery.test.ts: enrols photos in a loop until killed,
// printing the revision after each completed write.
import { openGallery } from '../../daemon/src/recognition/gallery/gallery.js';
import { silentLogger } from '../../daemon/src/log/logger.js';

const dir = process.argv[2]!;
const g = openGallery(dir, 'test-model@1', silentLogger(), { create: true });
const emb = new Float32Array(1280).map((_, i) => Math.sin(i));
const jpeg = new Uint8Array(20000).fill(7);
for (let i = 0; ; i++) {
  await g.addPhotos(`pet ${i % 5}`, [{ jpeg, embedding: emb, source: `p${i}.jpg`, label: 'cat', score: 0.9, box: [0, 0, 10, 10] }]);
  process.stdout.write(`rev ${g.revision}\n`);
}
