/**
 * File uploads (`/v1/files`), for the portal's branding: `business_icon` and `business_logo` only, PNG,
 * JPEG or GIF recognised by their first bytes (never by the name or the declared type: an SVG can carry
 * script, and a name proves nothing), at most 512 KiB. The `file` object is an ordinary object row; its
 * bytes live in `file_contents` and are served to pages from Portico's own origin (`url`), so the pages'
 * CSP can stay `img-src 'self'`. `file.created` is emitted with it.
 */
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { publicBaseUrl } from '../lib/public-url.ts';
import type { Ctx } from '../storage/context.ts';
import type { Executor } from '../storage/database.ts';
import { getObject, insertObject, listObjects, whereData, type ListOptions } from '../storage/objects.ts';
import { emit } from '../events/outbox.ts';

export const FILE_PURPOSES = ['business_icon', 'business_logo'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];
export type ImageType = 'png' | 'jpg' | 'gif';
/** Stripe allows 512 KB for branding images. */
export const MAX_FILE_BYTES = 512 * 1024;

export const IMAGE_MIME: Record<ImageType, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif' };

export interface StripeFile {
  id: string;
  object: 'file';
  created: number;
  expires_at: number | null;
  filename: string | null;
  links: { object: 'list'; data: never[]; has_more: false; url: string };
  purpose: FilePurpose;
  size: number;
  title: string | null;
  type: ImageType;
  url: string;
}

/** The image type the bytes begin with (magic numbers), or null. */
export function sniffImage(bytes: Uint8Array): ImageType | null {
  const starts = (sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0xff, 0xd8, 0xff])) return 'jpg';
  if (starts([0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'gif';
  return null;
}

/** Where a file's bytes are served (same origin as every page). */
export function filePath(id: string): string {
  return `/p/-/files/${id}`;
}

export interface FileUpload {
  purpose: unknown;
  filename: string | null;
  bytes: Uint8Array | null;
}

/** Stores an uploaded branding image (`file.created`). */
export async function createFile(ctx: Ctx, upload: FileUpload): Promise<StripeFile> {
  if (upload.purpose === undefined || upload.purpose === null || upload.purpose === '') throw errors.missingParam('purpose');
  if (typeof upload.purpose !== 'string' || !(FILE_PURPOSES as readonly string[]).includes(upload.purpose)) {
    throw errors.invalidParam('purpose', `Invalid purpose: must be one of ${FILE_PURPOSES.join(' or ')} (Portico stores branding images only).`);
  }
  if (!upload.bytes) throw errors.missingParam('file');
  if (upload.bytes.length === 0) throw errors.invalidParam('file', 'The file is empty.');
  if (upload.bytes.length > MAX_FILE_BYTES) {
    throw errors.invalidParam('file', `The file is too large: branding images are at most ${MAX_FILE_BYTES / 1024} KB.`, 'file_too_large');
  }
  const type = sniffImage(upload.bytes);
  if (type === null) throw errors.invalidParam('file', 'The file must be a PNG, JPEG or GIF image.', 'file_invalid');
  const id = newId('file');
  const created = ctx.clock.now();
  const filename = upload.filename ? upload.filename.replace(/[\u0000-\u001f\\/]/g, '_').slice(0, 200) : null;
  const file: StripeFile = {
    id,
    object: 'file',
    created,
    expires_at: null,
    filename,
    links: { object: 'list', data: [], has_more: false, url: `/v1/file_links?file=${id}` },
    purpose: upload.purpose as FilePurpose,
    size: upload.bytes.length,
    title: null,
    type,
    url: `${publicBaseUrl()}${filePath(id)}`,
  };
  await insertObject(ctx, { id, object: 'file', created, data: file });
  await ctx.db.insertInto('file_contents').values({ id, livemode: ctx.livemode, content: Buffer.from(upload.bytes) }).execute();
  await emit(ctx, 'file.created', file);
  return file;
}

export async function retrieveFile(ctx: Ctx, id: string, param = 'id'): Promise<StripeFile> {
  return (await getObject<StripeFile>(ctx, 'file', 'file', id, { param })).data;
}

export async function listFiles(ctx: Ctx, filters: { purpose?: string }, page: ListOptions) {
  return listObjects<StripeFile>(ctx, 'file', {
    ...page,
    where: (q) => (filters.purpose !== undefined ? whereData(q, 'purpose', filters.purpose) : q),
  });
}

/** A file's bytes and type, in either mode (the caller decides whether it may be shown). */
export async function fileContent(db: Executor, id: string): Promise<{ type: ImageType; bytes: Uint8Array } | null> {
  const row = await db.selectFrom('file_contents').select(['content']).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const bytes = row.content instanceof Uint8Array ? row.content : new Uint8Array(row.content as ArrayBuffer);
  const type = sniffImage(bytes);
  return type ? { type, bytes } : null;
}
