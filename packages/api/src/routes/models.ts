/**
 * GET /v1/models and /v1/models/{id}, as in OpenAI's API, with the model's prompt vocabulary
 * as an extension: what its captions can say, so a client can write prompts it understands.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { notFound } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { objectRoute } from './responses.ts';

const Model = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z.number().int(),
    owned_by: z.string(),
    description: z.string().nullable(),
    sizes: z.array(z.string()).openapi({ description: 'Image sizes this model makes' }),
    variants: z.array(z.string()),
    vocabulary: z
      .object({ colours: z.array(z.string()), shapes: z.array(z.string()), max_objects: z.number().int() })
      .passthrough()
      .nullable()
      .openapi({
        description: "The prompt vocabulary of the model's domain (null: prompts are used verbatim)",
      }),
  })
  .openapi('Model');

function modelOf(api: Api) {
  const m = api.manifest;
  return {
    id: m.id,
    object: 'model' as const,
    created: m.created ?? 0,
    owned_by: 'baton',
    description: m.description ?? null,
    sizes: api.schemas.sizes.map((s) => `${s}x${s}`),
    variants: Object.keys(m.variants),
    vocabulary: api.domain.vocabulary?.data() ?? null,
  };
}

export function modelsRoutes(api: Api) {
  const app = new OpenAPIHono<Env>();
  const list = createRoute({
    method: 'get',
    path: '/v1/models',
    summary: 'The models this deployment serves (OpenAI Models API)',
    responses: {
      200: {
        description: 'The models',
        content: {
          'application/json': { schema: z.object({ object: z.literal('list'), data: z.array(Model) }) },
        },
      },
    },
  });
  const one = objectRoute({
    method: 'get',
    path: '/v1/models/{id}',
    summary: 'One model, with its prompt vocabulary',
    schema: Model,
    noun: 'model',
  });
  return app
    .openapi(list, (c) => c.json({ object: 'list' as const, data: [modelOf(api)] }, 200))
    .openapi(one, (c) => {
      const { id } = c.req.valid('param');
      if (id !== api.manifest.id) throw notFound(`model ${id}`);
      return c.json(modelOf(api), 200);
    });
}
