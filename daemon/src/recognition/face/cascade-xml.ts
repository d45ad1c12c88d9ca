/**
 * Reads a boosted Haar cascade in OpenCV's XML storage format (opencv_traincascade's
 * output, e.g. haarcascade_frontalcatface.xml) into the kernel's Cascade (pure).
 *
 * The format is regular enough to read with patterns: <width>/<height> of the window,
 * <stages> with per stage a <stageThreshold> and <weakClassifiers>, each an
 * <internalNodes> list (4 numbers per node: left, right, feature, threshold) and a
 * <leafValues> list; <features>, each a <rects> list of "x y w h weight". Only upright
 * Haar features are supported: LBP cascades and tilted (45 degree) features are refused
 * with CASCADE_UNSUPPORTED, anything malformed with CASCADE_INVALID.
 */
import { GlovesError } from '../../errors.js';
import type { Cascade, CascadeTree } from '../../kernels/cascade.js';

const nums = (s: string): number[] => s.trim().split(/\s+/).map(Number);

export function parseCascadeXml(xml: string, source: string): Cascade {
  const bad = (why: string): GlovesError => new GlovesError('CASCADE_INVALID', `${source}: ${why}`, { source });
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  const tag = (name: string, within = text): string | undefined => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(within)?.[1];
  const type = tag('featureType')?.trim();
  if (type !== 'HAAR')
    throw new GlovesError('CASCADE_UNSUPPORTED', `${source}: feature type ${type ?? '(none)'} is not supported (HAAR only)`, {
      source,
      type,
    });
  const width = Number(tag('width'));
  const height = Number(tag('height'));
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 2 && height > 2)) throw bad('window size missing or invalid');
  const stagesXml = tag('stages');
  const featuresXml = tag('features');
  if (stagesXml === undefined || featuresXml === undefined) throw bad('no <stages> or no <features>');

  const features = [...featuresXml.matchAll(/<rects>([\s\S]*?)<\/rects>\s*(?:<tilted>\s*(\d)\s*<\/tilted>)?/g)].map((m, fi) => {
    if (m[2] === '1')
      throw new GlovesError('CASCADE_UNSUPPORTED', `${source}: feature ${fi} is tilted (upright features only)`, { source, feature: fi });
    const rects = [...m[1]!.matchAll(/<_>([^<]*)<\/_>/g)].map((r) => {
      const [x, y, w, h, weight] = nums(r[1]!);
      if (![x, y, w, h, weight].every(Number.isFinite) || x! < 0 || y! < 0 || w! < 1 || h! < 1 || x! + w! > width || y! + h! > height) {
        throw bad(`feature ${fi} has a rectangle outside the ${width}x${height} window`);
      }
      return { x: x!, y: y!, w: w!, h: h!, weight: weight! };
    });
    if (rects.length === 0) throw bad(`feature ${fi} has no rectangles`);
    return { rects };
  });

  const stages = [...stagesXml.matchAll(/<stageThreshold>([^<]*)<\/stageThreshold>\s*<weakClassifiers>([\s\S]*?)<\/weakClassifiers>/g)].map(
    (m, si) => {
      const threshold = Number(m[1]);
      if (!Number.isFinite(threshold)) throw bad(`stage ${si} threshold`);
      const trees = [...m[2]!.matchAll(/<internalNodes>([^<]*)<\/internalNodes>\s*<leafValues>([^<]*)<\/leafValues>/g)].map(
        (t, ti): CascadeTree => {
          const n = nums(t[1]!);
          const leaves = nums(t[2]!);
          const where = `stage ${si} tree ${ti}`;
          if (n.length === 0 || n.length % 4 !== 0 || !n.every(Number.isFinite) || !leaves.every(Number.isFinite))
            throw bad(`${where}: malformed nodes`);
          const nodes = Array.from({ length: n.length / 4 }, (_, k) => ({
            left: n[4 * k]!,
            right: n[4 * k + 1]!,
            feature: n[4 * k + 2]!,
            threshold: n[4 * k + 3]!,
          }));
          for (const node of nodes) {
            for (const c of [node.left, node.right]) {
              // A child node after its parent (so a walk always ends), a leaf that exists.
              if (!Number.isInteger(c) || (c > 0 && c >= nodes.length) || (c <= 0 && -c >= leaves.length))
                throw bad(`${where}: child ${c} out of range`);
            }
            if (!Number.isInteger(node.feature) || node.feature < 0 || node.feature >= features.length)
              throw bad(`${where}: feature ${node.feature} out of range`);
          }
          nodes.forEach((node, k) => {
            if ((node.left > 0 && node.left <= k) || (node.right > 0 && node.right <= k)) throw bad(`${where}: node ${k} points back`);
          });
          return { nodes, leaves };
        },
      );
      if (trees.length === 0) throw bad(`stage ${si} has no trees`);
      return { threshold, trees };
    },
  );
  if (stages.length === 0) throw bad('no stages');
  const declared = tag('stageNum');
  if (declared !== undefined && Number(declared) !== stages.length) throw bad(`stageNum ${declared} but ${stages.length} stages`);
  return { width, height, stages, features };
}
