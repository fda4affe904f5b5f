/** OpenAPI response pieces the route modules share. */
import type { z } from '@hono/zod-openapi';
import { ErrorSchema } from '../schemas.ts';

export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const errorResponse = (description: string) => json(ErrorSchema, description);
