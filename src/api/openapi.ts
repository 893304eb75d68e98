// The API's one description, api/openapi.json: loaded once, its local $refs inlined so fastify
// can validate requests against exactly these schemas.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path of the OpenAPI file in the repository (dist/api/ → ../../api/openapi.json). */
export const OPENAPI_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'api', 'openapi.json');

/** The parsed OpenAPI document (plain JSON). */
export type OpenApiDoc = {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
  info: { version: string };
};

/** Reads the OpenAPI file. */
export function loadOpenApi(path = OPENAPI_PATH): OpenApiDoc {
  return JSON.parse(readFileSync(path, 'utf8')) as OpenApiDoc;
}

/** `schema` with every `#/components/schemas/X` reference replaced by its target (recursively). */
export function inlineRefs(doc: OpenApiDoc, schema: unknown, depth = 0): unknown {
  if (depth > 32) throw new Error('OpenAPI schema nests too deep (a $ref cycle?)');
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(doc, s, depth + 1));
  if (schema === null || typeof schema !== 'object') return schema;
  const o = schema as Record<string, unknown>;
  if (typeof o['$ref'] === 'string') {
    const name = /^#\/components\/schemas\/(.+)$/.exec(o['$ref'])?.[1];
    const target = name !== undefined ? doc.components.schemas[name] : undefined;
    if (target === undefined) throw new Error(`OpenAPI: unresolved $ref ${o['$ref']}`);
    return inlineRefs(doc, target, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = inlineRefs(doc, v, depth + 1);
  return out;
}

/** The request-body schema of `method path`, inlined (undefined when it has no body). */
export function bodySchema(doc: OpenApiDoc, path: string, method: string): unknown {
  const op = doc.paths[path]?.[method] as { requestBody?: { content: Record<string, { schema: unknown }> } } | undefined;
  const s = op?.requestBody?.content['application/json']?.schema;
  return s === undefined ? undefined : inlineRefs(doc, s);
}

/** The path-parameters schema of `path` as an object schema (fastify `params`). */
export function paramsSchema(doc: OpenApiDoc, path: string): unknown {
  const params = (doc.paths[path]?.['parameters'] ?? []) as { name: string; in: string; schema: unknown }[];
  const props: Record<string, unknown> = {};
  for (const p of params) if (p.in === 'path') props[p.name] = inlineRefs(doc, p.schema);
  if (Object.keys(props).length === 0) return undefined;
  return { type: 'object', properties: props, required: Object.keys(props) };
}

/** `/v1/domains/{ref}` → `/v1/domains/:ref` (fastify's syntax). */
export function fastifyPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}
