/**
 * A loopback server speaking MLflow's REST protocol (the shapes of the shared docs, mlflow.md), for the tests:
 * no MLflow can be installed here. It keeps registered models (string versions, aliases, stages, statuses),
 * experiments, runs and their artifacts in memory, answers errors with MLflow's `{error_code, message}` bodies,
 * checks basic or bearer auth, paginates artifact listings and version searches, serves artifacts through the
 * proxy routes (Range requests answered with 206), and can play a server started with --no-serve-artifacts (503).
 *
 * Fault injection for the client's error paths: `truncate` ends a download's connection after half its bytes
 * (once per path, or always), `failNext` answers the next N requests with a status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAuth, type AuthOptions } from './mlflow-auth.js';

export interface MockVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  status_message: string;
  tags: { key: string; value: string }[];
  run_link: string;
  aliases: string[];
}

interface MockRun {
  info: {
    run_id: string;
    experiment_id: string;
    run_name: string;
    status: string;
    start_time: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data: {
    metrics: { key: string; value: number; timestamp: number; step: number }[];
    params: { key: string; value: string }[];
    tags: { key: string; value: string }[];
  };
}

export interface MockOptions extends AuthOptions {
  serveArtifacts?: boolean;
  /** Artifact listings are cut into pages of this many entries. */
  pageSize?: number;
  /** Versions created by model-versions/create stay PENDING_REGISTRATION for this many gets. */
  pendingPolls?: number;
}

export class MockMlflow {
  readonly opts: MockOptions;
  private server: Server | null = null;
  url = '';
  readonly models = new Map<string, { name: string; created: number; aliases: Map<string, string>; versions: MockVersion[] }>();
  readonly experiments = new Map<string, { experiment_id: string; name: string }>();
  readonly runs = new Map<string, MockRun>();
  /** Proxy path (exp/run/artifacts/...) -> bytes. */
  readonly artifacts = new Map<string, Buffer>();
  /** Every request, `METHOD path` plus its Range header when there was one. */
  readonly requests: string[] = [];
  truncate = new Map<string, 'once' | 'always'>();
  failNext: { count: number; status: number } = { count: 0, status: 500 };
  private pending = new Map<string, number>();
  private nextId = 1;

  constructor(opts: MockOptions = {}) {
    this.opts = { serveArtifacts: true, pageSize: 1000, ...opts };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.error(res, 500, 'INTERNAL_ERROR', String(err)));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Registers a model version whose files are `files` (relative path -> bytes), stored under a new run. */
  addVersion(
    name: string,
    files: Record<string, Buffer>,
    o: { stage?: string; status?: MockVersion['status']; aliases?: string[] } = {},
  ): MockVersion {
    const run = this.createRun('0', `${name}-run`);
    const root = `0/${run.info.run_id}/artifacts`;
    for (const [p, data] of Object.entries(files)) this.artifacts.set(`${root}/model/${p}`, data);
    const v = this.createVersion(name, `mlflow-artifacts:/${root}/model`, run.info.run_id, o.status ?? 'READY');
    v.current_stage = o.stage ?? 'None';
    for (const a of o.aliases ?? []) this.models.get(name)!.aliases.set(a, v.version);
    return v;
  }

  private ensureModel(name: string) {
    let m = this.models.get(name);
    if (!m) {
      m = { name, created: Date.now(), aliases: new Map(), versions: [] };
      this.models.set(name, m);
    }
    return m;
  }

  private createVersion(name: string, source: string, runId: string, status: MockVersion['status']): MockVersion {
    const m = this.ensureModel(name);
    const now = Date.now();
    const v: MockVersion = {
      name,
      version: String(m.versions.length + 1),
      creation_timestamp: now,
      last_updated_timestamp: now,
      user_id: 'tester',
      current_stage: 'None',
      description: '',
      source,
      run_id: runId,
      status,
      status_message: '',
      tags: [],
      run_link: '',
      aliases: [],
    };
    m.versions.push(v);
    return v;
  }

  private createRun(experimentId: string, name: string): MockRun {
    const id = `run${String(this.nextId++).padStart(6, '0')}`;
    const run: MockRun = {
      info: {
        run_id: id,
        experiment_id: experimentId,
        run_name: name,
        status: 'RUNNING',
        start_time: Date.now(),
        artifact_uri: `mlflow-artifacts:/${experimentId}/${id}/artifacts`,
        lifecycle_stage: 'active',
      },
      data: { metrics: [], params: [], tags: [] },
    };
    this.runs.set(id, run);
    return run;
  }

  private view(v: MockVersion): MockVersion {
    const m = this.models.get(v.name)!;
    return { ...v, aliases: [...m.aliases].filter(([, ver]) => ver === v.version).map(([a]) => a) };
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
    res.end(data);
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    if (!res.headersSent) this.json(res, status, { error_code: code, message });
  }

  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const verdict = checkAuth(req.headers.authorization ?? '', this.opts);
    if (verdict.status === 200) return true;
    if (verdict.status === 401) res.setHeader('www-authenticate', 'Basic realm="mlflow"');
    this.error(res, verdict.status, verdict.code, verdict.message);
    return false;
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    if (this.failNext.count > 0) {
      this.failNext.count--;
      return this.error(res, this.failNext.status, 'TEMPORARILY_UNAVAILABLE', 'try again');
    }
    if (!this.authorized(req, res)) return;
    const path = url.pathname.replace(/^\/ajax-api\//, '/api/');
    if (path.startsWith('/api/2.0/mlflow-artifacts/')) return this.proxy(req, res, path, url);
    if (!path.startsWith('/api/2.0/mlflow/')) return this.error(res, 404, 'ENDPOINT_NOT_FOUND', `no endpoint ${path}`);
    const rpc = path.slice('/api/2.0/mlflow/'.length);
    const q = url.searchParams;
    const body = req.method === 'POST' ? (JSON.parse((await this.body(req)).toString() || '{}') as Record<string, any>) : {};
    return this.rpc(res, `${req.method} ${rpc}`, q, body);
  }

  private rpc(res: ServerResponse, call: string, q: URLSearchParams, b: Record<string, any>): void {
    const noModel = (name: string | null) =>
      this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    switch (call) {
      case 'GET registered-models/get': {
        const m = this.models.get(q.get('name') ?? '');
        if (!m) return noModel(q.get('name'));
        return this.json(res, 200, {
          registered_model: {
            name: m.name,
            creation_timestamp: m.created,
            last_updated_timestamp: m.created,
            description: '',
            latest_versions: m.versions.map((v) => this.view(v)),
            tags: [],
            aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })),
          },
        });
      }
      case 'GET registered-models/alias': {
        const m = this.models.get(q.get('name') ?? '');
        if (!m) return noModel(q.get('name'));
        const ver = m.aliases.get(q.get('alias') ?? '');
        if (!ver) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', `Registered model alias ${q.get('alias')} not found.`);
        return this.json(res, 200, { model_version: this.view(m.versions.find((v) => v.version === ver)!) });
      }
      case 'POST registered-models/get-latest-versions': {
        const m = this.models.get(b.name);
        if (!m) return noModel(b.name);
        const stages: string[] = b.stages ?? [];
        const latest = stages.flatMap((s) => {
          const inStage = m.versions.filter((v) => v.current_stage === s);
          return inStage.length > 0 ? [this.view(inStage[inStage.length - 1]!)] : [];
        });
        return this.json(res, 200, { model_versions: latest });
      }
      case 'GET model-versions/get': {
        const m = this.models.get(q.get('name') ?? '');
        if (!m) return noModel(q.get('name'));
        const v = m.versions.find((x) => x.version === q.get('version'));
        if (!v)
          return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${m.name}, version=${q.get('version')}) not found`);
        const left = this.pending.get(`${m.name}/${v.version}`) ?? 0;
        if (left > 0) this.pending.set(`${m.name}/${v.version}`, left - 1);
        else if (v.status === 'PENDING_REGISTRATION' && this.pending.has(`${m.name}/${v.version}`)) v.status = 'READY';
        return this.json(res, 200, { model_version: this.view(v) });
      }
      case 'GET model-versions/search': {
        const name = /^name='(.*)'$/.exec(q.get('filter') ?? '')?.[1];
        const all = [...this.models.values()].filter((m) => name === undefined || m.name === name).flatMap((m) => m.versions);
        const start = Number(q.get('page_token') ?? 0);
        const size = Number(q.get('max_results') ?? 100);
        const page = all.slice(start, start + Math.min(size, this.opts.pageSize!));
        const next = start + page.length < all.length ? String(start + page.length) : undefined;
        return this.json(res, 200, { model_versions: page.map((v) => this.view(v)), ...(next ? { next_page_token: next } : {}) });
      }
      case 'GET model-versions/get-download-uri': {
        const v = this.models.get(q.get('name') ?? '')?.versions.find((x) => x.version === q.get('version'));
        if (!v) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', 'Model version not found');
        return this.json(res, 200, { artifact_uri: v.source });
      }
      case 'GET runs/get': {
        const r = this.runs.get(q.get('run_id') ?? '');
        if (!r) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', `Run '${q.get('run_id')}' not found`);
        return this.json(res, 200, { run: r });
      }
      case 'GET artifacts/list':
        return this.listRun(res, q);
      case 'GET experiments/get-by-name': {
        const e = [...this.experiments.values()].find((x) => x.name === q.get('experiment_name'));
        if (!e) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${q.get('experiment_name')}'`);
        return this.json(res, 200, {
          experiment: { ...e, artifact_location: `mlflow-artifacts:/${e.experiment_id}`, lifecycle_stage: 'active' },
        });
      }
      case 'POST experiments/create': {
        const id = String(this.experiments.size + 1);
        this.experiments.set(id, { experiment_id: id, name: b.name });
        return this.json(res, 200, { experiment_id: id });
      }
      case 'POST runs/create': {
        if (!this.experiments.has(b.experiment_id)) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', 'no such experiment');
        const run = this.createRun(b.experiment_id, b.run_name ?? '');
        run.data.tags.push(...(b.tags ?? []));
        return this.json(res, 200, { run });
      }
      case 'POST runs/log-batch': {
        const r = this.runs.get(b.run_id);
        if (!r) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        if ((b.metrics ?? []).length > 1000 || (b.params ?? []).length > 100)
          return this.error(res, 400, 'INVALID_PARAMETER_VALUE', 'too many metrics or params in one batch');
        if ((b.params ?? []).some((p: { value: unknown }) => typeof p.value !== 'string'))
          return this.error(res, 400, 'INVALID_PARAMETER_VALUE', 'param values must be strings');
        r.data.metrics.push(...(b.metrics ?? []));
        r.data.params.push(...(b.params ?? []));
        return this.json(res, 200, {});
      }
      case 'POST runs/update': {
        const r = this.runs.get(b.run_id);
        if (!r) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        r.info.status = b.status;
        return this.json(res, 200, { run_info: r.info });
      }
      case 'POST registered-models/create': {
        if (this.models.has(b.name))
          return this.error(res, 400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${b.name}) already exists.`);
        this.ensureModel(b.name);
        return this.json(res, 200, { registered_model: { name: b.name } });
      }
      case 'POST model-versions/create': {
        if (!this.models.has(b.name)) return noModel(b.name);
        const polls = this.opts.pendingPolls ?? 0;
        const v = this.createVersion(b.name, b.source, b.run_id, polls > 0 ? 'PENDING_REGISTRATION' : 'READY');
        if (polls > 0) this.pending.set(`${v.name}/${v.version}`, polls - 1);
        return this.json(res, 200, { model_version: this.view(v) });
      }
      case 'POST registered-models/alias': {
        const m = this.models.get(b.name);
        if (!m) return noModel(b.name);
        if (!m.versions.some((v) => v.version === String(b.version)))
          return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', 'no such version');
        m.aliases.set(b.alias, String(b.version));
        return this.json(res, 200, {});
      }
      default:
        return this.error(res, 404, 'ENDPOINT_NOT_FOUND', `no endpoint ${call}`);
    }
  }

  /** mlflow/artifacts/list: one directory level of a run, paths relative to the run's root, paginated. */
  private listRun(res: ServerResponse, q: URLSearchParams): void {
    const run = this.runs.get(q.get('run_id') ?? '');
    if (!run) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
    const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
    const dir = q.get('path') ?? '';
    const entries = this.level(root, dir);
    const start = Number(q.get('page_token') ?? 0);
    const page = entries.slice(start, start + this.opts.pageSize!);
    const next = start + page.length < entries.length ? String(start + page.length) : undefined;
    return this.json(res, 200, { root_uri: run.info.artifact_uri, files: page, ...(next ? { next_page_token: next } : {}) });
  }

  /** One directory level under `root/dir`: files with sizes, and subdirectories; paths are `dir/name`. */
  private level(root: string, dir: string): { path: string; is_dir: boolean; file_size?: number }[] {
    const prefix = dir ? `${root}/${dir}/` : `${root}/`;
    const seen = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
    for (const [k, v] of this.artifacts) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const [head, ...tail] = rest.split('/');
      const p = dir ? `${dir}/${head}` : head!;
      seen.set(p, tail.length > 0 ? { path: p, is_dir: true } : { path: p, is_dir: false, file_size: v.length });
    }
    return [...seen.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  private async proxy(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    if (!this.opts.serveArtifacts)
      return this.error(
        res,
        503,
        'TEMPORARILY_UNAVAILABLE',
        'Endpoint: /api/2.0/mlflow-artifacts disabled due to the mlflow server running with `--no-serve-artifacts`.',
      );
    const rest = decodeURIComponent(path.slice('/api/2.0/mlflow-artifacts/artifacts'.length).replace(/^\//, ''));
    if (req.method === 'PUT') {
      this.artifacts.set(rest, await this.body(req));
      return this.json(res, 200, {});
    }
    if (rest === '') {
      const dir = url.searchParams.get('path') ?? '';
      return this.json(res, 200, { files: this.level(dir, '').map((f) => ({ ...f, path: f.path.split('/').pop() })) });
    }
    const data = this.artifacts.get(rest);
    if (!data) return this.error(res, 404, 'RESOURCE_DOES_NOT_EXIST', `artifact ${rest} not found`);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = m ? Number(m[1]) : 0;
    if (from > data.length) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` });
      return void res.end();
    }
    const slice = data.subarray(from);
    res.writeHead(m ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': slice.length,
      ...(m ? { 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` } : {}),
    });
    const mode = this.truncate.get(rest);
    if (mode && slice.length > 1) {
      if (mode === 'once') this.truncate.delete(rest);
      // Half the bytes, then the connection dies: what a dropped link looks like to the client.
      res.write(slice.subarray(0, Math.floor(slice.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(slice);
  }
}
