import type { ValidateFunction } from 'ajv';

/**
 * A JSON Schema validator compiled the first time it is used. ajv's compile costs 10–35 ms a
 * schema; compiled at module load, every command paid for all of them at start-up (about 100 ms,
 * a third of a CSV export's start), schemas it never uses included.
 */
export function lazyValidator<T = unknown>(compile: () => ValidateFunction<T>): ValidateFunction<T> {
  let compiled: ValidateFunction<T> | null = null;
  const validate = ((data: unknown) => (compiled ??= compile())(data)) as ValidateFunction<T>;
  Object.defineProperty(validate, 'errors', { get: () => compiled?.errors ?? null });
  return validate;
}
