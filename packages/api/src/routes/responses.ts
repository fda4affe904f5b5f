/** OpenAPI response pieces the route modules share. */

import { ErrorSchema } from '@baton/service';
import { createRoute, z } from '@hono/zod-openapi';

export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const errorResponse = (description: string) => json(ErrorSchema, description);

export const IdParam = z.object({ id: z.string() });

/** A route on one object named by its id: 200 with the object (`schema`), 404 when there is none. */
export const objectRoute = <M extends 'get' | 'post' | 'delete', P extends string>(o: {
  method: M;
  path: P;
  summary: string;
  schema: z.ZodType;
  noun: string;
}) =>
  createRoute({
    method: o.method,
    path: o.path,
    summary: o.summary,
    request: { params: IdParam },
    responses: { 200: json(o.schema, `The ${o.noun}`), 404: errorResponse(`No such ${o.noun}`) },
  });
