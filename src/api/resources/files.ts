/**
 * `/v1/files` (create from `multipart/form-data` as the SDK's `files.create` sends it, retrieve, list),
 * for branding images. The multipart body is parsed by Hono's `parseBody` (in `readUpload`, called by
 * the API's parameter middleware); the file's bytes travel beside the params, which carry only the
 * purpose and a SHA-256 of the bytes (so an idempotency key reused with another file is a mismatch).
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { errors } from '../../lib/errors.ts';
import { listShape, p, parseParams, type Decoded } from '../../lib/params.ts';
import { FILE_PURPOSES, createFile, listFiles, retrieveFile } from '../../billing/files.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

interface Upload {
  filename: string | null;
  bytes: Uint8Array | null;
}

const uploads = new WeakMap<Request, Upload>();

/** Whether this request is a multipart file upload (the only multipart body the API takes). */
export function isFileUpload(c: Context): boolean {
  return c.req.method === 'POST' && c.req.path === '/v1/files' && /^multipart\/form-data\b/i.test(c.req.header('content-type') ?? '');
}

/** Reads a multipart upload: the params (purpose, the file's digest) and, aside, its bytes. */
export async function readUpload(c: Context): Promise<Decoded> {
  let body: Record<string, string | File | (string | File)[]>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    throw errors.malformedBody('The multipart/form-data body could not be read.');
  }
  const params: Decoded = Object.create(null);
  let upload: Upload = { filename: null, bytes: null };
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) throw errors.invalidParam(key, `Only one ${key} may be sent.`);
    if (typeof value === 'string') params[key] = value;
    else if (key === 'file') {
      const bytes = new Uint8Array(await value.arrayBuffer());
      upload = { filename: value.name || null, bytes };
      params.file = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    } else throw errors.invalidParam(key, `Unexpected file in ${key}.`);
  }
  uploads.set(c.req.raw, upload);
  return params;
}

const createShape = { purpose: p.string({ max: 100 }), file: p.string({ max: 100 }), file_link_data: p.object({ create: p.string() }) };
const listFilesShape = { ...listShape, purpose: p.enumOf(FILE_PURPOSES) };

export function registerFiles(r: Routes): void {
  r.post('/v1/files', (ctx, params, c) => {
    const q = parseParams(createShape, params);
    const upload = uploads.get(c.req.raw);
    if (!upload) {
      if (q.file !== undefined) throw errors.invalidParam('file', 'Send the file as multipart/form-data.');
      throw errors.missingParam('file');
    }
    return createFile(ctx, { purpose: q.purpose, filename: upload.filename, bytes: upload.bytes });
  });
  r.get('/v1/files', async (ctx, params, c) => {
    const q = parseParams(listFilesShape, params);
    return pageEnvelope(c.req.path, await listFiles(ctx, q.purpose !== undefined ? { purpose: q.purpose } : {}, pagination(q)));
  });
  r.get('/v1/files/:id', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveFile(ctx, pathParam(c, 'id'));
  });
}
