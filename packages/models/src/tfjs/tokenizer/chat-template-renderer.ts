import { Environment, Interpreter, type Template } from '@huggingface/jinja';
import { IadR1Error } from '@iad-r1/errors';

// A chat template is code from the checkpoint folder, and a folder can come from anywhere. It is
// run with limits, so a template that loops for ever or builds a value the size of the heap ends
// in a named error instead of a hung or crashed process:
// - a time limit, checked while the interpreter walks the template;
// - `range()` that refuses more than MAX_SEQUENCE items (the library's builds the whole list);
// - no string or list value larger than MAX_TEXT characters / MAX_SEQUENCE items (this also bounds
//   a loop whose body is empty, which the time check does not see).
// Real templates render in well under a millisecond and stay far inside every limit.

/** How long one rendering may take. */
export const TEMPLATE_TIME_LIMIT_MS = 1000;
const MAX_SEQUENCE = 100_000;
const MAX_TEXT = 4 * 1024 * 1024;

/** A chat template that went past a rendering limit (time, range size, value size). */
export class ChatTemplateLimitError extends IadR1Error {
  override readonly name = 'ChatTemplateLimitError';
}

type Statement = Parameters<Interpreter['evaluate']>[0];
type RuntimeValue = ReturnType<Interpreter['evaluate']>;

class LimitedInterpreter extends Interpreter {
  constructor(
    environment: Environment,
    private readonly deadline: number,
    private readonly limitMs: number,
  ) {
    super(environment);
  }

  override evaluate(statement: Statement, environment: Environment): RuntimeValue {
    // Checked at every node: a loop whose body is one node can repeat that node a million times.
    if (performance.now() > this.deadline) throw new ChatTemplateLimitError(`rendering took longer than ${this.limitMs} ms`);
    const value = super.evaluate(statement, environment);
    const inner: unknown = value.value;
    if (typeof inner === 'string' && inner.length > MAX_TEXT) throw new ChatTemplateLimitError(`it built a text of ${inner.length.toLocaleString('en-US')} characters (limit ${MAX_TEXT.toLocaleString('en-US')})`);
    if (Array.isArray(inner) && inner.length > MAX_SEQUENCE) throw new ChatTemplateLimitError(`it built a list of ${inner.length.toLocaleString('en-US')} items (limit ${MAX_SEQUENCE.toLocaleString('en-US')})`);
    return value;
  }
}

function limitedRange(start: number, stop?: number, step = 1): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0) throw new Error('range() step must not be zero');
  const count = Math.max(0, Math.ceil((to - from) / step));
  if (!Number.isFinite(count) || count > MAX_SEQUENCE) throw new ChatTemplateLimitError(`range() of ${count.toLocaleString('en-US')} items (limit ${MAX_SEQUENCE.toLocaleString('en-US')})`);
  return Array.from({ length: count }, (_, i) => from + i * step);
}

// Python's strftime for the directives templates use (Llama 3.x writes today's date with it).
function strftimeNow(format: string): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = (style: 'long' | 'short') => new Intl.DateTimeFormat('en-US', { month: style }).format(now);
  const fields: Record<string, () => string> = {
    '%Y': () => String(now.getFullYear()),
    '%m': () => pad(now.getMonth() + 1),
    '%d': () => pad(now.getDate()),
    '%b': () => month('short'),
    '%B': () => month('long'),
    '%H': () => pad(now.getHours()),
    '%M': () => pad(now.getMinutes()),
    '%%': () => '%',
  };
  return format.replace(/%[YmdbBHM%]/g, (token) => fields[token]?.() ?? token);
}

/**
 * Renders a parsed chat template with the library's globals (`range` limited) and the limits
 * above; throws a {@link ChatTemplateLimitError} when one is passed.
 *
 * @example
 * renderTemplateWithLimits(new Template('{{ messages[0].content }}'), { messages: [{ role: 'user', content: 'Hi' }] }); // 'Hi'
 */
export function renderTemplateWithLimits(template: Template, variables: Record<string, unknown>, limitMs = TEMPLATE_TIME_LIMIT_MS): string {
  const environment = new Environment();
  const globals: Record<string, unknown> = {
    false: false,
    true: true,
    none: null,
    False: false,
    True: true,
    None: null,
    raise_exception: (message: string) => {
      throw new Error(message);
    },
    range: limitedRange,
    strftime_now: strftimeNow,
  };
  for (const [name, value] of Object.entries({ ...globals, ...variables })) environment.set(name, value);
  const result = new LimitedInterpreter(environment, performance.now() + limitMs, limitMs).run(template.parsed);
  return String(result.value);
}
