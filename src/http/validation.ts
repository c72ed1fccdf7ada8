import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS with a default export; under nodenext it arrives wrapped.
const addFormats = (addFormatsModule as unknown as { default: FormatsPlugin }).default;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, useDefaults: true, removeAdditional: false, strict: false, strictNumbers: true, ...options });
  addFormats(ajv);
  return ajv;
}

/** The first top-level field holding a non-finite number, if any. */
function nonFiniteField(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  return Object.entries(data).find(([, value]) => typeof value === 'number' && !Number.isFinite(value))?.[0];
}

/**
 * Ajv coerces "Infinity" and "1e400" to Infinity and then skips its own number checks; text parts
 * (query, params, headers) are therefore re-checked for non-finite numbers after coercion.
 */
function refuseNonFinite(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    if (!validate(data)) {
      wrapped.errors = validate.errors;
      return false;
    }
    const field = nonFiniteField(data);
    if (field === undefined) {
      wrapped.errors = null;
      return true;
    }
    const error: ErrorObject = { instancePath: `/${field}`, schemaPath: '#', keyword: 'type', params: {}, message: 'must be a finite number' };
    wrapped.errors = [error];
    return false;
  }) as ValidateFunction;
  return wrapped;
}

/**
 * Bodies are validated strictly (no type coercion, extra properties refused rather than dropped)
 * so that `"10"` is not taken for 10; query strings and params arrive as text and are coerced.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv({ coerceTypes: false });
  // 'array': a query key given once still fills an array schema (`?userId=a` as `?userId=a&userId=b`).
  const coercing = createAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema as object) : refuseNonFinite(coercing.compile(schema as object));
}
