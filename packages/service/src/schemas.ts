/**
 * One zod schema per request body: the API validates with it and the OpenAPI document is
 * generated from it (@hono/zod-openapi). Bounds come from the pipeline's BOUNDS and the served
 * model's manifest (sizes, variants, prompt length, batch size), so no limit is written twice.
 * Every message names the field as the request spells it.
 */

import { type AllowList, WEBHOOK_EVENTS, webhookUrlProblem } from '@baton/jobs';
import { OUTPUT_FORMATS } from '@baton/pipeline/formats';
import { BOUNDS, maxPromptChars, promptProblem } from '@baton/pipeline/spec';
import { type Manifest, supportedSizes } from '@baton/runtime/manifest';
import { z } from '@hono/zod-openapi';

const got = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

const intIn = (name: string, min: number, max: number) => {
  const error = (i: { input?: unknown }) =>
    `'${name}' must be an integer in ${min}…${max}, got ${got(i.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const numIn = (name: string, min: number, max: number) => {
  const error = (i: { input?: unknown }) =>
    `'${name}' must be a number in ${min}…${max}, got ${got(i.input)}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
};
const oneOf = <const T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z.enum(values, {
    error: (i) => `'${name}' must be one of ${values.map((v) => `'${v}'`).join(', ')}, got ${got(i.input)}`,
  });
/** Optional, and null counts as absent (as OpenAI's API treats it). */
const opt = <S extends z.ZodType>(s: S) => s.nullish();

/** `size`: "128x128" (OpenAI's spelling), 128, or "auto"; only the model's sizes. */
function sizeSchema(m: Manifest, sizes: number[]) {
  const sizeNames = sizes.map((s) => `${s}x${s}`);
  const sizeError = `'size' must be one of ${sizeNames.map((s) => `'${s}'`).join(', ')} for model ${m.id}`;
  return z
    .union([z.string(), z.number()], { error: (i) => `${sizeError}, got ${got(i.input)}` })
    .transform((v, ctx) => {
      if (v === 'auto') return undefined;
      const side = typeof v === 'number' ? v : Number(/^(\d+)x\1$/.exec(v)?.[1]);
      if (!sizes.includes(side)) {
        ctx.addIssue({ code: 'custom', message: `${sizeError}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return side;
    })
    .openapi({
      type: 'string',
      enum: [...sizeNames, 'auto'],
      example: sizeNames[Math.min(1, sizeNames.length - 1)],
    });
}

/** The generation options both request bodies share. */
function generationFields(m: Manifest, sizes: number[]) {
  const prompt = z
    .string({ error: (i) => (i.input === undefined ? "'prompt' is required" : "'prompt' must be a string") })
    .superRefine((p, ctx) => {
      const problem = promptProblem(m, p, "'prompt'");
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .openapi({ maxLength: maxPromptChars(m), example: 'a big red circle top left on white' });
  const variants = Object.keys(m.variants) as [string, ...string[]];
  return {
    prompt,
    size: opt(sizeSchema(m, sizes)),
    seed: opt(intIn('seed', BOUNDS.seed.min, BOUNDS.seed.max)).openapi({ example: 1 }),
    variant: opt(oneOf('variant', variants)),
    steps_base: opt(intIn('steps_base', BOUNDS.steps.min, BOUNDS.steps.max)),
    steps_relay: opt(intIn('steps_relay', BOUNDS.steps.min, BOUNDS.steps.max)),
    guidance: opt(numIn('guidance', BOUNDS.guidance.min, BOUNDS.guidance.max)),
    guidance_relay: opt(numIn('guidance_relay', BOUNDS.guidance.min, BOUNDS.guidance.max)),
    best_of: opt(intIn('best_of', BOUNDS.bestOf.min, BOUNDS.bestOf.max)).openapi({
      description:
        "Candidates (1–8) drawn in one batch to the stage that decides what the scorer judges (128 px here), scored against the caption by the domain's scorer (shapes: its judge's measurements); the best is finished. Every candidate's compute is billed",
    }),
    strict: opt(z.boolean({ error: "'strict' must be true or false" })).openapi({
      description:
        'Refuse, with 400 prompt_not_understood, a prompt the expansion would ignore a part of or could not honour',
    }),
  };
}

/** A job's webhook: an address the submit-time check admits, and the events it wants. */
function webhookSchema(webhookAllow: AllowList) {
  return z
    .object(
      {
        url: z.string({ error: "'webhook.url' must be an absolute http(s) URL" }).superRefine((u, ctx) => {
          const problem = webhookUrlProblem(u, webhookAllow);
          if (problem) ctx.addIssue({ code: 'custom', message: `'webhook.url' ${problem}` });
        }),
        events: z
          .array(oneOf('webhook.events', WEBHOOK_EVENTS), {
            error: `'webhook.events' must be a non-empty list of ${WEBHOOK_EVENTS.join(', ')}`,
          })
          .min(1, { error: `'webhook.events' must be a non-empty list of ${WEBHOOK_EVENTS.join(', ')}` })
          .default(['completed', 'failed'])
          .transform((e) => [...new Set(e)]),
      },
      { error: "'webhook' must be an object {url, events}" },
    )
    .openapi('Webhook');
}

/** OpenAI's image model names: code written for OpenAI sends them; they mean the model served here. */
export const OPENAI_IMAGE_MODELS: readonly string[] = [
  'gpt-image-1',
  'gpt-image-1-mini',
  'dall-e-3',
  'dall-e-2',
];

export function requestSchemas(m: Manifest, webhookAllow: AllowList = new Set()) {
  const sizes = supportedSizes(m);
  const generation = generationFields(m, sizes);
  const maxN = m.limits?.max_batch ?? 4;
  const images = z
    .object({
      ...generation,
      n: opt(intIn('n', 1, maxN)).openapi({ example: 1 }),
      response_format: opt(oneOf('response_format', ['b64_json', 'url'])),
      // Stored as PNG; JPEG and WebP are made from it as the image leaves (@baton/pipeline/formats).
      output_format: opt(oneOf('output_format', OUTPUT_FORMATS)).openapi({
        description: 'png (default), jpeg or webp',
      }),
      output_compression: opt(intIn('output_compression', 0, 100)).openapi({
        description: 'jpeg and webp: 0–100, 100 the least compressed (default; webp at 100 is lossless)',
      }),
      stream: opt(z.boolean({ error: "'stream' must be true or false" })).openapi({
        description: 'Server-sent events: partial images as the stages finish, then the image (n must be 1)',
      }),
      partial_images: opt(intIn('partial_images', 0, 3)).openapi({
        description: 'Partial images to stream (0–3): stage boundaries first, then the last stage mid-way',
      }),
      model: opt(
        z.unknown().refine((v) => v === m.id || OPENAI_IMAGE_MODELS.includes(v as string), {
          error: (i) =>
            `'model' must be '${m.id}' (the model this deployment serves; OpenAI's ${OPENAI_IMAGE_MODELS.map((x) => `'${x}'`).join(', ')} mean it too), got ${got(i.input)}`,
        }),
      ).openapi({
        type: 'string',
        enum: [m.id, ...OPENAI_IMAGE_MODELS],
        description: `OpenAI's image model names are accepted and mean this deployment's model: ported code runs unchanged`,
      }),
    })
    .refine((b) => b.output_compression == null || (b.output_format ?? 'png') !== 'png', {
      path: ['output_compression'],
      error: "'output_compression' applies to output_format 'jpeg' or 'webp' (PNG is lossless)",
    })
    .refine((b) => (b.best_of ?? 1) === 1 || !b.stream, {
      path: ['best_of'],
      error: "'best_of' above 1 cannot 'stream': the candidates have no partial images",
    })
    .refine((b) => !b.stream || (b.n ?? 1) === 1, {
      path: ['n'],
      error: "'n' must be 1 with 'stream': true (one image's partials, then the image)",
    })
    // Seeds seed … seed + n − 1 must all be valid: checked before any job is made.
    .refine((b) => b.seed == null || b.seed + (b.n ?? 1) - 1 <= BOUNDS.seed.max, {
      path: ['seed'],
      error: `'seed' + 'n' − 1 must not pass ${BOUNDS.seed.max}`,
    })
    .openapi('ImageGenerationRequest');
  const webhook = webhookSchema(webhookAllow);
  const job = z
    .object({
      ...generation,
      expand: opt(z.boolean({ error: "'expand' must be true or false" })),
      previews: opt(z.boolean({ error: "'previews' must be true or false" })).openapi({
        description:
          "Keep each finished stage's image as a preview (default true): `previews` and `stages[].preview_url`",
      }),
      webhook: opt(webhook),
    })
    .openapi('JobRequest');
  const continuation = z
    .object({
      size: sizeSchema(m, sizes).refine((s) => s !== undefined, {
        error: "'size' must be a size, not 'auto'",
      }),
    })
    .openapi('ContinueRequest');
  return { images, job, continuation, maxN, sizes };
}

export type RequestSchemas = ReturnType<typeof requestSchemas>;
export type ImagesBody = z.output<RequestSchemas['images']>;
export type JobBody = z.output<RequestSchemas['job']>;
/** What both bodies share: the generation options. */
export type GenerationBody = Omit<ImagesBody, 'n' | 'response_format' | 'model'>;

export const ErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.enum(['invalid_request_error', 'not_found_error', 'server_error', 'rate_limit_error']),
      param: z.string().nullable().openapi({ description: 'The request field at fault' }),
      code: z.string().nullable(),
    }),
  })
  .openapi('Error');
