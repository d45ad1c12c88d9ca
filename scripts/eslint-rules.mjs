// Local ESLint rules for the layering of this repository (used by eslint.config.js).
//
// gloves/no-cycle      No import cycle between files, and none between the top-level folders of a source
//                      root (daemon/src/<folder>, calibration/src/<folder>). Unlike import-x/no-cycle, type-only
//                      imports count: a type loop still ties the folders together. Dynamic imports count too.
// gloves/known-floor   Every top-level entry of daemon/src has a floor in the layering table of eslint.config.js,
//                      so a new folder cannot slip past import-x/no-restricted-paths.
//
// The import graph of the other files is read from disk with TypeScript's preProcessFile (fast, no type checking)
// and cached for the run; the linted file's own imports come from the text being linted.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const toPosix = (p) => p.split(sep).join('/');

/** Resolve a relative specifier the way NodeNext does for our sources (`./x.js` names `./x.ts`). */
function resolveSpecifier(fromFile, spec) {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return null;
  const base = resolve(dirname(fromFile), spec);
  const candidates = [];
  if (/\.(c|m)?js$/.test(base))
    candidates.push(
      base
        .replace(/\.js$/, '.ts')
        .replace(/\.mjs$/, '.mts')
        .replace(/\.cjs$/, '.cts'),
    );
  candidates.push(base, `${base}.ts`, join(base, 'index.ts'));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // try the next candidate
    }
  }
  return null;
}

const cache = new Map(); // absolute path -> { mtimeMs, checkedAt, imports: string[] }
const REVALIDATE_MS = 1000;

function importsOnDisk(file) {
  const now = Date.now();
  const hit = cache.get(file);
  if (hit && now - hit.checkedAt < REVALIDATE_MS) return hit.imports;
  let mtimeMs;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  if (hit && hit.mtimeMs === mtimeMs) {
    hit.checkedAt = now;
    return hit.imports;
  }
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const imports = [...new Set(info.importedFiles.map((f) => resolveSpecifier(file, f.fileName)).filter(Boolean))];
  cache.set(file, { mtimeMs, checkedAt: now, imports });
  return imports;
}

/** The folder node of a file: `<root>/<first folder>` for a file under a source root, else null. */
function folderOf(file, rootDir, sourceRoots) {
  const rel = toPosix(relative(rootDir, file));
  for (const sr of sourceRoots) {
    if (rel.startsWith(`${sr}/`)) {
      return `${sr}/${rel.slice(sr.length + 1).split('/')[0]}`; // a file at the root is its own node
    }
  }
  return null;
}

/** Breadth-first search over the disk graph: can `start` reach `goal`? `next(node)` lists successors. */
function reaches(start, goal, next) {
  if (start === goal) return true;
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift();
    for (const m of next(n)) {
      if (m === goal) return true;
      if (!seen.has(m)) {
        seen.add(m);
        queue.push(m);
      }
    }
  }
  return false;
}

function sourceNodes(node) {
  switch (node.type) {
    case 'ImportDeclaration':
    case 'ExportAllDeclaration':
    case 'ExportNamedDeclaration':
    case 'ImportExpression':
      return node.source && node.source.type === 'Literal' && typeof node.source.value === 'string' ? [node.source] : [];
    case 'TSImportType': {
      const arg = node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument;
      return arg && arg.type === 'Literal' && typeof arg.value === 'string' ? [arg] : [];
    }
    default:
      return [];
  }
}

let snapshot = null; // { key, builtAt, edges: Map(folder -> Map(folder -> Set(file))) }

/** The folder graph of the source roots, read from disk; rebuilt when older than REVALIDATE_MS. */
function folderSnapshot(rootDir, sourceRoots, allowed) {
  const key = `${rootDir}\0${sourceRoots.join(',')}\0${[...allowed].sort().join(',')}`;
  const now = Date.now();
  if (snapshot && snapshot.key === key && now - snapshot.builtAt < REVALIDATE_MS) return snapshot;
  const edges = new Map();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(m|c)?ts$/.test(e.name)) {
        const a = folderOf(p, rootDir, sourceRoots);
        for (const m of importsOnDisk(p)) {
          const b = folderOf(m, rootDir, sourceRoots);
          if (!a || !b || a === b || allowed.has(`${p}\0${m}`)) continue;
          if (!edges.has(a)) edges.set(a, new Map());
          if (!edges.get(a).has(b)) edges.get(a).set(b, new Set());
          edges.get(a).get(b).add(p);
        }
      }
    }
  };
  for (const sr of sourceRoots) {
    try {
      walk(resolve(rootDir, sr));
    } catch {
      // a missing source root has no edges
    }
  }
  snapshot = { key, builtAt: Date.now(), edges };
  return snapshot;
}

const noCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'No import cycle between files or between top-level source folders; type imports count.' },
    schema: [
      {
        type: 'object',
        properties: {
          rootDir: { type: 'string' },
          sourceRoots: { type: 'array', items: { type: 'string' } },
          allow: {
            type: 'array',
            items: {
              type: 'object',
              properties: { from: { type: 'string' }, to: { type: 'string' }, why: { type: 'string' } },
              required: ['from', 'to'],
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      fileCycle: 'Import cycle: {{to}} imports (directly or not) back to this file.',
      folderCycle: 'Folder cycle: {{toFolder}} imports (directly or not) back into {{fromFolder}}.',
    },
  },
  create(context) {
    const opts = context.options[0] ?? {};
    const rootDir = opts.rootDir ?? context.cwd;
    const sourceRoots = opts.sourceRoots ?? [];
    const file = context.physicalFilename;
    if (!file || file === '<input>' || file === '<text>') return {};
    // An allowed edge is left out of the graph, so the cycle it closes is not reported from either end.
    const allowed = new Set((opts.allow ?? []).map((a) => `${resolve(rootDir, a.from)}\0${resolve(rootDir, a.to)}`));
    const isAllowed = (a, b) => allowed.has(`${a}\0${b}`);
    const nextFile = (n) => (n === file ? [] : importsOnDisk(n).filter((m) => !isAllowed(n, m)));

    const ownFolder = folderOf(file, rootDir, sourceRoots);
    // Folder edges: from the cached disk snapshot, less this file's disk imports, plus its imports in the text.
    const folderNext = (f) => {
      const { edges } = folderSnapshot(rootDir, sourceRoots, allowed);
      const out = new Set();
      for (const [b, files] of edges.get(f) ?? []) if ([...files].some((x) => x !== file)) out.add(b);
      if (f === ownFolder) {
        for (const t of ownTargets) {
          const b = folderOf(t, rootDir, sourceRoots);
          if (b && b !== ownFolder && !isAllowed(file, t)) out.add(b);
        }
      }
      return out;
    };

    const pending = []; // [source node, resolved target]
    const ownTargets = [];
    const visit = (node) => {
      for (const src of sourceNodes(node)) {
        const target = resolveSpecifier(file, src.value);
        if (target) {
          pending.push([src, target]);
          ownTargets.push(target);
        }
      }
    };
    return {
      ImportDeclaration: visit,
      ExportAllDeclaration: visit,
      ExportNamedDeclaration: visit,
      ImportExpression: visit,
      TSImportType: visit,
      'Program:exit'() {
        for (const [src, target] of pending) {
          if (target === file || isAllowed(file, target)) continue;
          if (reaches(target, file, nextFile)) {
            context.report({ node: src, messageId: 'fileCycle', data: { to: toPosix(relative(rootDir, target)) } });
            continue;
          }
          const toFolder = folderOf(target, rootDir, sourceRoots);
          if (ownFolder && toFolder && ownFolder !== toFolder && reaches(toFolder, ownFolder, folderNext)) {
            context.report({ node: src, messageId: 'folderCycle', data: { fromFolder: ownFolder, toFolder } });
          }
        }
      },
    };
  },
};

const knownFloor = {
  meta: {
    type: 'problem',
    docs: { description: 'Every top-level entry of a layered source root has a floor in the layering table.' },
    schema: [
      {
        type: 'object',
        properties: { rootDir: { type: 'string' }, sourceRoot: { type: 'string' }, known: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    ],
    messages: { unknown: '{{entry}} has no floor in the layering table of eslint.config.js: add it to a floor.' },
  },
  create(context) {
    const { rootDir = context.cwd, sourceRoot, known = [] } = context.options[0] ?? {};
    const rel = toPosix(relative(rootDir, context.physicalFilename));
    if (!sourceRoot || !rel.startsWith(`${sourceRoot}/`)) return {};
    const entry = rel.slice(sourceRoot.length + 1).split('/')[0];
    if (known.includes(entry)) return {};
    return {
      Program(node) {
        context.report({ node, loc: { line: 1, column: 0 }, messageId: 'unknown', data: { entry: `${sourceRoot}/${entry}` } });
      },
    };
  },
};

export default {
  meta: { name: 'eslint-plugin-gloves' },
  rules: { 'no-cycle': noCycle, 'known-floor': knownFloor },
};
