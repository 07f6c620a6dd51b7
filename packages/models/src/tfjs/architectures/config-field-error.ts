import { IadR1Error } from '@iad-r1/errors';
import type { z } from 'zod';
/** A config.json field this implementation cannot honour, or one with a wrong value: names the file and the field. */
export class ConfigFieldError extends IadR1Error {
  override readonly name = 'ConfigFieldError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: field ${field}: ${reason}`);
  }
}

/**
 * Parses a config object with a zod schema, throwing a {@link ConfigFieldError} that names the file
 * and the first bad field (under `prefix`, e.g. `vision_config`).
 *
 * @example
 * const vision = parseConfigFields(visionSchema, raw.vision_config, 'dir/config.json', 'vision_config');
 */
export function parseConfigFields<T>(schema: z.ZodType<T>, raw: unknown, file: string, prefix = ''): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigFieldError(file, [prefix, ...(issue?.path ?? [])].filter(Boolean).join('.') || '(root)', issue?.message ?? 'invalid');
  }
  return parsed.data;
}
