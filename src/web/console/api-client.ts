// The web console's client of the daemon's HTTP API (api/openapi.json), same origin, with the
// bearer token the user entered. Errors come back as ApiError with the server's message.

/** A domain as the API lists it (the Domain schema of api/openapi.json). */
export interface DomainView {
  readonly id: number;
  readonly name: string;
  readonly uuid: string;
  readonly state: 'running' | 'blocked' | 'paused' | 'shutdown' | 'crashed' | 'dying';
  /** MiB. */
  readonly memory: number;
  readonly maxmem: number;
  readonly vcpus: number;
  /** Seconds of host CPU time used by the domain (its worker thread's CPU time where measurable). */
  readonly cpu_time: number;
  readonly instructions: number;
  readonly boots: number;
  readonly reason?: string;
  /** Seconds since the domain was created (when the daemon reports it). */
  readonly uptime_s?: number;
}

/** The lifecycle actions of POST /v1/domains/{ref}/action. */
export type DomainActionName = 'pause' | 'unpause' | 'shutdown' | 'reboot';

/** A non-2xx answer: status, the API's error code and its message (plain text, never HTML). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Calls the API with `Authorization: Bearer <token>`. */
export class ApiClient {
  constructor(private readonly token: string, private readonly base = '') {}

  /** GET /v1/info (also how the login page checks a token). */
  info(): Promise<Record<string, unknown>> {
    return this.call('GET', '/v1/info') as Promise<Record<string, unknown>>;
  }

  /** GET /web/defaults.json: the daemon host's default guest paths (served with the web console). */
  webDefaults(): Promise<unknown> {
    return this.call('GET', '/web/defaults.json');
  }

  /** GET /v1/domains. */
  list(): Promise<DomainView[]> {
    return this.call('GET', '/v1/domains') as Promise<DomainView[]>;
  }

  /** POST /v1/domains with a DomainConfig (see api/openapi.json). */
  create(config: unknown): Promise<DomainView> {
    return this.call('POST', '/v1/domains', config) as Promise<DomainView>;
  }

  /** POST /v1/domains/{ref}/action. */
  action(ref: string, action: DomainActionName): Promise<unknown> {
    return this.call('POST', `/v1/domains/${encodeURIComponent(ref)}/action`, { action });
  }

  /** DELETE /v1/domains/{ref}. */
  destroy(ref: string): Promise<unknown> {
    return this.call('DELETE', `/v1/domains/${encodeURIComponent(ref)}`);
  }

  /** ws(s):// URL of a domain's console WebSocket. */
  consoleUrl(ref: string): string {
    const u = new URL(`${this.base}/v1/domains/${encodeURIComponent(ref)}/console`, location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  /**
   * WebSocket subprotocols carrying the token (a browser cannot set Authorization on a
   * WebSocket): the server accepts `banquise.bearer.<token>` and answers with `banquise`.
   */
  consoleProtocols(): string[] {
    return ['banquise', `banquise.bearer.${this.token}`];
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (res.status === 204) return undefined;
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad-response', `${method} ${path}: HTTP ${res.status}, not JSON`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      throw new ApiError(res.status, typeof e?.code === 'string' ? e.code : 'error', typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`);
    }
    return json;
  }
}
