// The standalone validator's shape (manifest-validator-code.ts generates it as JavaScript).
import type { ErrorObject } from 'ajv';

interface Validate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
export const validate: Validate;
export default validate;
