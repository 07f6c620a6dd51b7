import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { ChatMessage } from '../../chat';
import { IadR1Error } from '@iad-r1/errors';

const partSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('text'), text: z.string() }), z.object({ type: z.literal('image'), image: z.string().min(1) })]);

/** A request file of `iad-r1-models generate` / `logits`: chat messages in eval's shape, images as file paths (relative to the file). */
export const requestFileSchema = z.object({
  messages: z
    .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.union([z.string(), z.array(partSchema)]) }))
    .min(1),
});

/** Thrown for a request file that is not JSON or not in the request shape; names the file and the field. */
export class RequestFileError extends IadR1Error {
  override readonly name = 'RequestFileError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field ? `field ${field}: ` : ''}${reason}`);
  }
}

/** Reads a request file; image paths are resolved against the file's folder. */
export async function readRequestFile(file: string): Promise<ChatMessage[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new RequestFileError(file, '', (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `is not valid JSON (${(error as Error).message})`);
  }
  const parsed = requestFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RequestFileError(file, issue?.path.join('.') ?? '', issue?.message ?? 'invalid');
  }
  const folder = dirname(file);
  return parsed.data.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((p) => (p.type === 'image' ? { type: 'image' as const, image: isAbsolute(p.image) || /^(https?|data):/.test(p.image) ? p.image : join(folder, p.image) } : p)),
  }));
}
