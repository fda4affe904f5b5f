/** The OpenAPI 3.1 document of the API, built from the served model's manifest. */
import type { Manifest } from '@baton/runtime/manifest';

export function openApiDocument(m: Manifest, sizes: number[], maxN: number) {
  const sizeNames = sizes.map((s) => `${s}x${s}`);
  const error = {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['message', 'type'],
        properties: {
          message: { type: 'string' },
          type: {
            type: 'string',
            enum: ['invalid_request_error', 'not_found_error', 'server_error', 'rate_limit_error'],
          },
          param: { type: ['string', 'null'], description: 'The request field at fault' },
          code: { type: ['string', 'null'] },
        },
      },
    },
  };
  const jobOptions = {
    prompt: { type: 'string', maxLength: m.limits?.max_prompt_chars ?? 1000 },
    size: {
      oneOf: [
        { type: 'string', enum: sizeNames },
        { type: 'integer', enum: sizes },
      ],
    },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    variant: { type: 'string', enum: Object.keys(m.variants) },
    steps_base: { type: 'integer', minimum: 1, maximum: 200 },
    steps_relay: { type: 'integer', minimum: 1, maximum: 200 },
    guidance: { type: 'number', minimum: 0, maximum: 30 },
    guidance_relay: { type: 'number', minimum: 0, maximum: 30 },
  };
  const job = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      object: { const: 'job' },
      status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'canceled'] },
      created_at: { type: 'integer' },
      finished_at: { type: ['integer', 'null'] },
      prompt: { type: 'string' },
      revised_prompt: { type: 'string', description: 'The expanded caption the model saw' },
      seed: { type: 'integer' },
      size: { type: 'string' },
      variant: { type: 'string' },
      stage: { type: ['string', 'null'] },
      progress: {
        type: ['object', 'null'],
        properties: {
          stage: { type: 'string' },
          step: { type: 'integer' },
          of: { type: ['integer', 'null'] },
        },
      },
      stages: { type: 'array', items: { type: 'object' } },
      timings_ms: { type: 'object', additionalProperties: { type: 'number' } },
      error: { type: ['object', 'null'] },
      result: { type: ['object', 'null'], properties: { image_url: { type: 'string' } } },
    },
  };
  const errors = {
    '400': { description: 'Invalid request', content: { 'application/json': { schema: error } } },
    '401': { description: 'Missing or wrong API key', content: { 'application/json': { schema: error } } },
    '404': {
      description: 'Not found (also: another key’s job)',
      content: { 'application/json': { schema: error } },
    },
    '429': {
      description: 'Rate limit or concurrent-job quota; see Retry-After',
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
      content: { 'application/json': { schema: error } },
    },
  };
  const webhook = {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', format: 'uri' },
      events: {
        type: 'array',
        items: { type: 'string', enum: ['started', 'progress', 'completed', 'failed'] },
      },
    },
    description: 'Signed deliveries (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)',
  };
  const jobPath = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton',
      version: '1.0.0',
      description: `Relay-diffusion text-to-image, serving model ${m.id}.`,
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/images/generations': {
        post: {
          summary: 'Create images (OpenAI Images API); waits, then answers 202 with the job ids',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['prompt'],
                  properties: {
                    ...jobOptions,
                    n: { type: 'integer', minimum: 1, maximum: maxN },
                    response_format: { type: 'string', enum: ['b64_json', 'url'], default: 'b64_json' },
                    user: { type: 'string' },
                    model: { type: 'string', enum: [m.id] },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'Images',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      created: { type: 'integer' },
                      data: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            b64_json: { type: 'string' },
                            url: { type: 'string' },
                            revised_prompt: { type: 'string' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            '202': { description: 'Still running: poll /v1/jobs/{id} for each of job_ids' },
            ...errors,
          },
        },
      },
      '/v1/jobs': {
        get: {
          summary: 'The caller’s recent jobs, newest first',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50 } }],
          responses: { '200': { description: 'A list of jobs' }, ...errors },
        },
        post: {
          summary: 'Create a job (Idempotency-Key: same key and body → same job; another body → 409)',
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['prompt'],
                  properties: { ...jobOptions, expand: { type: 'boolean', default: true }, webhook },
                },
              },
            },
          },
          responses: {
            '202': { description: 'Accepted', content: { 'application/json': { schema: job } } },
            ...errors,
          },
        },
      },
      '/v1/usage': {
        get: {
          summary: 'The caller’s usage ledger by day: jobs, stages, compute ms, steps, pixels, cost',
          responses: { '200': { description: 'Ledger' }, ...errors },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          summary: 'A job: status, progress, timings, result',
          parameters: [jobPath],
          responses: {
            '200': { description: 'The job', content: { 'application/json': { schema: job } } },
            ...errors,
          },
        },
      },
      '/v1/jobs/{id}/events': {
        get: {
          summary: 'Server-sent events: progress, then succeeded | failed | canceled',
          parameters: [jobPath],
          responses: { '200': { description: 'text/event-stream of job objects' }, ...errors },
        },
      },
      '/v1/jobs/{id}/cancel': {
        post: {
          summary: 'Cancel a job (stops at the next step boundary)',
          parameters: [jobPath],
          responses: {
            '200': { description: 'The job', content: { 'application/json': { schema: job } } },
            ...errors,
          },
        },
      },
      '/v1/jobs/{id}/image': {
        get: {
          summary: 'The PNG (signed, expiring link from result.image_url)',
          parameters: [
            jobPath,
            { name: 'expires', in: 'query', required: true },
            { name: 'signature', in: 'query', required: true },
          ],
          responses: { '200': { description: 'PNG', content: { 'image/png': {} } }, ...errors },
        },
      },
    },
  };
}
