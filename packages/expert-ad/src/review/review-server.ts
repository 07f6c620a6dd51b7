import { randomBytes, timingSafeEqual } from 'node:crypto';
import { lstat, readFile, stat } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { JsonlAppender, assertRealPathInside, readSettingsFile } from '@iad-r1/datasets';
import { namesGridPlace } from '@iad-r1/grid';
import { type PairRecord, type ReviewDecision, reviewDecisionSchema } from '../records';
import { WORKSPACE_FILES, readWorkspace } from '../workspace';
import { REVIEW_PAGE_HTML } from './review-page';

/** Options of {@link startReviewServer}. */
export interface ReviewServerOptions {
  /** The pipeline's output folder (after the think step). */
  out: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  log?: (line: string) => void;
}

/** A running review server. */
export interface ReviewServer {
  /** `http://127.0.0.1:PORT/?token=…`: the page, with this session's token. */
  url: string;
  /** The session token every API request must carry (header `x-review-token`, or `token=` for images). */
  token: string;
  /** Resolves when the reviewer presses "Finish & integrate". */
  finished: Promise<void>;
  close(): Promise<void>;
}

/** Review status of a record: its latest decision, else pending. */
export type ReviewStatusOf = ReviewDecision['status'] | 'pending';

// A decision as the page posts it: the stored record without the time, which the server adds.
const decisionBodySchema = reviewDecisionSchema.omit({ reviewedAt: true });

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bmp': 'image/bmp', '.webp': 'image/webp', '.tif': 'image/tiff', '.tiff': 'image/tiff' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

/**
 * Step 4 (review): a local web page, bound to 127.0.0.1, that shows reference, query and mask
 * overlay side by side with the generated CoT, location and type. The reviewer accepts, rejects
 * or edits each record (keyboard shortcuts a / r / e); every decision is appended to
 * `reviews.jsonl` and flushed to disk before the page is told it is saved, so a crash loses
 * nothing. Only records whose think step succeeded are shown.
 *
 * @example
 * const server = await startReviewServer({ out: 'out/expert-ad', port: 8765 });
 * console.log(`review at ${server.url}`);
 * await server.finished; // the reviewer pressed "Finish & integrate"
 * await server.close();
 */
export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const state = await readWorkspace(options.out, options.log);
  const prepared = await readSettingsFile(join(options.out, WORKSPACE_FILES.prepareConfig));
  // No fallback root: without one in prepare.json, only the record's own file is served (no links).
  const dataRoot = typeof prepared?.root === 'string' ? prepared.root : undefined;
  const gridSize = typeof prepared?.gridSize === 'number' ? prepared.gridSize : 3;
  const reviewable = state.pairs.filter((p) => state.thoughts.get(p.id)?.ok);
  const pairs = new Map<string, PairRecord>(reviewable.map((p) => [p.id, p]));
  const decisions = state.reviews;
  const writer = new JsonlAppender(join(options.out, WORKSPACE_FILES.reviews), { durable: true });
  const statusOf = (id: string): ReviewStatusOf => decisions.get(id)?.status ?? 'pending';
  const counts = () => {
    const c = { total: reviewable.length, pending: 0, accepted: 0, edited: 0, rejected: 0 };
    for (const p of reviewable) c[statusOf(p.id)]++;
    return c;
  };
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const pairOf = (id: string | null): PairRecord => {
    const pair = id ? pairs.get(id) : undefined;
    if (!pair) throw new HttpError(404, `no reviewable record ${JSON.stringify(id)}`);
    return pair;
  };
  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };

  // Any web page open in the reviewer's browser can send requests to 127.0.0.1. Refuse those:
  // the Host must be ours (no DNS rebinding), a browser's Origin must be ours, writes must be JSON
  // (a cross-site form or text/plain POST cannot be), and every API call carries the session token.
  const token = randomBytes(24).toString('base64url');
  let port = 0;
  const ownHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  const tokenMatches = (given: string | null | undefined): boolean => {
    const a = Buffer.from(given ?? '');
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const guard = (request: IncomingMessage, url: URL): void => {
    if (!ownHosts().includes(request.headers.host ?? '')) throw new HttpError(403, `host ${JSON.stringify(request.headers.host ?? '')} is not this review server`);
    const origin = request.headers.origin;
    if (origin !== undefined && !ownHosts().some((host) => origin === `http://${host}`)) throw new HttpError(403, `cross-site request from ${origin} refused`);
    const given = url.pathname === '/' || url.pathname === '/api/image' ? (url.searchParams.get('token') ?? request.headers['x-review-token']) : request.headers['x-review-token'];
    if (!tokenMatches(Array.isArray(given) ? given[0] : given)) throw new HttpError(403, 'missing or wrong session token: open the address the review step printed (it carries the token)');
    if (request.method === 'POST' && !/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw new HttpError(415, 'requests that change decisions must be application/json');
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const route = `${request.method} ${url.pathname}`;
    guard(request, url);
    switch (route) {
      case 'GET /':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
        response.end(REVIEW_PAGE_HTML.replace('__REVIEW_TOKEN__', token));
        return;
      case 'GET /api/items': {
        const filter = url.searchParams.get('status') ?? 'all';
        const items = reviewable
          .map((p) => ({ id: p.id, category: p.category, label: p.label, status: statusOf(p.id) }))
          .filter((item) => filter === 'all' || item.status === filter);
        json(response, 200, { counts: counts(), items });
        return;
      }
      case 'GET /api/item': {
        const pair = pairOf(url.searchParams.get('id'));
        const thought = state.thoughts.get(pair.id) as Extract<NonNullable<ReturnType<typeof state.thoughts.get>>, { ok: true }>;
        const decision = decisions.get(pair.id);
        json(response, 200, {
          pair,
          status: statusOf(pair.id),
          description: state.descriptions.get(pair.id)?.description ?? '',
          think: decision?.think ?? thought.think,
          location: decision?.location ?? pair.location?.text ?? null,
          fineType: decision?.fineType ?? thought.fineType ?? null,
        });
        return;
      }
      case 'GET /api/image': {
        const pair = pairOf(url.searchParams.get('id'));
        const which = url.searchParams.get('which');
        const highlight = state.descriptions.get(pair.id)?.highlightImage;
        const path = which === 'reference' ? pair.referenceImage : which === 'query' ? pair.queryImage : which === 'overlay' ? (highlight ?? pair.queryImage) : undefined;
        if (!path) throw new HttpError(400, 'which must be reference, query or overlay');
        // Served files stay where they belong once links are followed: the data root, or this folder.
        const inside = path === highlight ? options.out : dataRoot;
        if (inside !== undefined) {
          await assertRealPathInside(inside, path).catch((error: Error) => {
            throw new HttpError(403, error.message);
          });
        }
        const info = await (inside !== undefined ? stat(path) : lstat(path)).catch(() => {
          throw new HttpError(404, `image not found: ${path}`);
        });
        if (info.isSymbolicLink()) throw new HttpError(403, `${path} is a link; links are followed only inside the data root prepare.json records, and it records none`);
        if (!info.isFile()) throw new HttpError(403, `${path} is not a regular file`);
        const bytes = await readFile(path).catch(() => {
          throw new HttpError(404, `image not found: ${path}`);
        });
        response.writeHead(200, { 'content-type': IMAGE_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        response.end(bytes);
        return;
      }
      case 'POST /api/decision': {
        const parsed = decisionBodySchema.safeParse(await readBody(request));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new HttpError(422, `field ${issue?.path.join('.') || '(body)'}: ${issue?.message}`);
        }
        const body = parsed.data;
        const pair = pairOf(body.id);
        if (body.status !== 'edited' && (body.think || body.location || body.fineType)) throw new HttpError(422, 'only an edited decision carries think, location or fineType');
        if (body.status === 'edited' && pair.label === 'normal' && (body.location || body.fineType)) throw new HttpError(422, 'a normal record has no location or type to edit');
        if (body.location !== undefined && !namesGridPlace(body.location, gridSize)) throw new HttpError(422, `field location: must name a place on the ${gridSize}×${gridSize} grid`);
        const decision: ReviewDecision = reviewDecisionSchema.parse({ ...body, reviewedAt: new Date().toISOString() });
        await writer.append(decision);
        decisions.set(decision.id, decision);
        json(response, 200, { saved: decision, counts: counts() });
        return;
      }
      case 'POST /api/finish':
        json(response, 200, { counts: counts() });
        finish();
        return;
      default:
        throw new HttpError(404, `no route ${route}`);
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) options.log?.(`review server: ${(error as Error).stack ?? error}`);
      if (!response.headersSent) json(response, status, { error: (error as Error).message });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: the page serves local images and writes decisions without authentication.
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    finished,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await writer.close();
    },
  };
}
