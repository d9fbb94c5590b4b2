/**
 * Minimal HTTP/JSON client for the MLflow REST API: keep-alive sockets (per-step logging latency, #1867),
 * retries with exponential backoff on connection errors and 429/502/503/504, auth from MLflow's standard
 * env vars, errors parsed from `{error_code, message}` or plain text.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MlflowApiError, TrackingConnectionError, TrackingError } from './errors';

export interface RestClientOptions {
  /** Tracking server base URL, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  uri: string;
  /** Retries after the first attempt (env `MLFLOW_HTTP_REQUEST_MAX_RETRIES`, default 5). */
  maxRetries?: number;
  /** First retry delay in ms, doubled each retry (env `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` in seconds; default 500 ms). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per-attempt timeout in ms: no answer and no progress for this long (env `MLFLOW_HTTP_REQUEST_TIMEOUT` in seconds; default 120 s). */
  timeoutMs?: number;
  /**
   * Deadline in ms for one request with all its retries (env `SRN_TRACKING_REQUEST_DEADLINE` in seconds;
   * default 60 s): a hung server costs at most this long before the tracker spills to the local store.
   */
  deadlineMs?: number;
  /** `Authorization` header value; by default from the env / `~/.mlflow/credentials`. `null` = none. */
  authorization?: string | null;
  env?: NodeJS.ProcessEnv;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: Uint8Array;
  contentType?: string;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
export const DEFAULT_DEADLINE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `Authorization` header from MLflow's env vars: Basic (username+password) wins over Bearer (token). */
export function authorizationFromEnv(env: NodeJS.ProcessEnv = process.env, credentialsFile = join(homedir(), '.mlflow', 'credentials')): string | undefined {
  let user = env.MLFLOW_TRACKING_USERNAME;
  let pass = env.MLFLOW_TRACKING_PASSWORD;
  if (!user || !pass) {
    const file = readCredentialsFile(credentialsFile);
    user ||= file.mlflow_tracking_username;
    pass ||= file.mlflow_tracking_password;
  }
  if (user && pass) return 'Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
  if (env.MLFLOW_TRACKING_TOKEN) return `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  return undefined;
}

function readCredentialsFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) section = sec[1].trim();
    else if (section === 'mlflow') {
      const kv = /^([^=:]+)[=:](.*)$/.exec(line);
      if (kv) out[kv[1].trim()] = kv[2].trim();
    }
  }
  return out;
}

function envBool(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  if (v === undefined || v === '') return false;
  if (/^(true|1)$/i.test(v)) return true;
  if (/^(false|0)$/i.test(v)) return false;
  throw new TrackingError(`${name} must be true/false/1/0, got ${JSON.stringify(v)}`);
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new TrackingError(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export class RestClient {
  readonly baseUrl: URL;
  private readonly agent: http.Agent;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly authorization: string | undefined;

  constructor(opts: RestClientOptions) {
    const env = opts.env ?? process.env;
    let url: URL;
    try {
      url = new URL(opts.uri);
    } catch {
      throw new TrackingError(`tracking URI ${JSON.stringify(opts.uri)} is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TrackingError(`tracking URI ${opts.uri} is not http(s)`);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.baseUrl = url;
    this.maxRetries = opts.maxRetries ?? envNumber(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES') ?? 5;
    const factor = envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR');
    this.backoffMs = opts.backoffMs ?? (factor !== undefined ? factor * 1000 : 500);
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    const timeoutS = envNumber(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT');
    this.timeoutMs = opts.timeoutMs ?? (timeoutS !== undefined ? timeoutS * 1000 : 120_000);
    const deadlineS = envNumber(env, 'SRN_TRACKING_REQUEST_DEADLINE');
    this.deadlineMs = opts.deadlineMs ?? (deadlineS !== undefined ? deadlineS * 1000 : DEFAULT_DEADLINE_MS);
    this.authorization = opts.authorization === null ? undefined : (opts.authorization ?? authorizationFromEnv(env));
    if (url.protocol === 'https:') {
      const tls: https.AgentOptions = { keepAlive: true, maxSockets: 4 };
      if (envBool(env, 'MLFLOW_TRACKING_INSECURE_TLS')) tls.rejectUnauthorized = false;
      if (env.MLFLOW_TRACKING_SERVER_CERT_PATH) tls.ca = readFileSync(env.MLFLOW_TRACKING_SERVER_CERT_PATH);
      if (env.MLFLOW_TRACKING_CLIENT_CERT_PATH) {
        const pem = readFileSync(env.MLFLOW_TRACKING_CLIENT_CERT_PATH);
        tls.cert = pem;
        tls.key = pem;
      }
      this.agent = new https.Agent(tls);
    } else {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    }
  }

  /** `path` relative to the base URL, e.g. `api/2.0/mlflow/runs/create`. */
  url(path: string, query?: RequestOptions['query']): URL {
    const u = new URL(path.replace(/^\/+/, ''), this.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** Raw request with retries; non-2xx answers that are not retried come back as responses. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const url = this.url(path, opts.query);
    const body = opts.json !== undefined ? Buffer.from(JSON.stringify(opts.json), 'utf8') : opts.body;
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
    if (body) {
      headers['Content-Type'] = opts.json !== undefined ? 'application/json' : (opts.contentType ?? 'application/octet-stream');
      headers['Content-Length'] = body.byteLength;
    }
    if (this.authorization) headers.Authorization = this.authorization;
    let lastError = '';
    const start = Date.now();
    const left = () => this.deadlineMs - (Date.now() - start);
    // Retries stop at maxRetries or when the next wait would pass the deadline, whichever comes first.
    const outOfTime = (wait: number) => left() - wait <= 0;
    const deadlineNote = () => (left() <= 0 || Date.now() - start >= this.deadlineMs * 0.5 ? ` within ${(this.deadlineMs / 1000).toFixed(0)} s (SRN_TRACKING_REQUEST_DEADLINE)` : '');
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.once(method, url, headers, body, Math.max(1, Math.min(this.timeoutMs, left())));
        if (!RETRY_STATUS.has(res.status) || isPermanent503(res)) return res;
        lastError = `HTTP ${res.status}: ${describeBody(res.body)}`;
        const retryAfter = Number(res.headers['retry-after']);
        const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, this.maxBackoffMs) : this.delay(attempt);
        if (attempt >= this.maxRetries || outOfTime(wait))
          throw new TrackingConnectionError(`${method} ${url.pathname} failed after ${attempt + 1} attempts${deadlineNote()}: ${lastError}`);
        await sleep(wait);
      } catch (e) {
        if (e instanceof TrackingError) throw e;
        lastError = (e as Error).message || String(e);
        const wait = this.delay(attempt);
        if (attempt >= this.maxRetries || outOfTime(wait))
          throw new TrackingConnectionError(`cannot reach MLflow at ${this.baseUrl.origin} (${method} ${url.pathname}, ${attempt + 1} attempts${deadlineNote()}): ${lastError}`, e);
        await sleep(wait);
      }
    }
  }

  /** JSON API call under `api/2.0/mlflow/`; throws `MlflowApiError` on error answers. */
  async api<T = Record<string, unknown>>(method: 'GET' | 'POST', endpoint: string, payload?: Record<string, unknown>): Promise<T> {
    const path = `api/2.0/mlflow/${endpoint}`;
    const res =
      method === 'GET'
        ? await this.request('GET', path, { query: payload as Record<string, string | number | undefined> })
        : await this.request('POST', path, { json: payload ?? {} });
    return this.parse<T>(res, `${method} ${endpoint}`);
  }

  parse<T>(res: HttpResponse, endpoint: string): T {
    if (res.status >= 200 && res.status < 300) {
      if (res.body.length === 0) return {} as T;
      try {
        return JSON.parse(res.body.toString('utf8')) as T;
      } catch {
        throw new MlflowApiError(`${endpoint}: server answered ${res.status} with non-JSON: ${describeBody(res.body)}`, res.status, 'BAD_RESPONSE', endpoint);
      }
    }
    throw apiError(res, endpoint);
  }

  private delay(attempt: number): number {
    const d = Math.min(this.backoffMs * 2 ** attempt, this.maxBackoffMs);
    return d * (0.8 + 0.4 * Math.random());
  }

  private once(method: string, url: URL, headers: http.OutgoingHttpHeaders, body: Uint8Array | undefined, timeoutMs: number): Promise<HttpResponse> {
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      // An idle timeout (no bytes either way), so a slow upload that progresses is not cut.
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer for ${(timeoutMs / 1000).toFixed(1)} s (server hung or overloaded?)`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// The artifact proxy answers 503 when the server runs with --no-serve-artifacts: retrying cannot help.
function isPermanent503(res: HttpResponse): boolean {
  return res.status === 503 && /serve-artifacts|disabled/i.test(res.body.toString('utf8'));
}

function describeBody(body: Buffer): string {
  const text = body.toString('utf8').trim();
  return text.length > 300 ? text.slice(0, 300) + '…' : text || '(empty body)';
}

export function apiError(res: HttpResponse, endpoint: string): MlflowApiError {
  let code = `HTTP_${res.status}`;
  let message = describeBody(res.body);
  try {
    const j = JSON.parse(res.body.toString('utf8')) as { error_code?: string; message?: string };
    if (j && typeof j === 'object') {
      if (j.error_code) code = j.error_code;
      if (j.message) message = j.message;
    }
  } catch {
    // plain text (auth proxies, disabled endpoints): keep it as the message
  }
  let hint = '';
  if (res.status === 401) hint = ' (set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN)';
  else if (res.status === 403) hint = ' (the credentials lack permission for this experiment/run)';
  else if (isPermanent503(res)) hint = ' (start the server with --serve-artifacts, the default, so artifacts can be uploaded over HTTP)';
  return new MlflowApiError(`MLflow ${endpoint} failed: ${code} (HTTP ${res.status}): ${message}${hint}`, res.status, code, endpoint);
}
