import { Ajv, type ErrorObject } from 'ajv';
import formats from 'ajv-formats';
import type { FindingCode } from './findings.js';
import { lazyValidator } from '../lazy-validator.js';

function withEmail(ajv: Ajv): Ajv {
  formats.default(ajv, ['email']);
  return ajv;
}

/** The per-row shape rules; only cells that hold a value are passed in, so "empty" never fails. */
interface RowShape {
  email?: string;
  status?: string;
}

// Compiled once, on first use: ajv recompiles for every new schema object.
const validateShape = lazyValidator(() => withEmail(new Ajv({ allErrors: true, strict: true })).compile<RowShape>({
  type: 'object',
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    status: { type: 'string', enum: ['active', 'bypass', 'disabled'] },
  },
  additionalProperties: false,
}));

export interface ShapeViolation {
  readonly code: FindingCode;
  readonly field: keyof RowShape;
}

const CODE_BY_FIELD: Record<keyof RowShape, FindingCode> = {
  email: 'INVALID_EMAIL',
  status: 'INVALID_STATUS',
};

export function checkRowShape(row: RowShape): readonly ShapeViolation[] {
  if (validateShape(row)) return [];
  const fields = new Set((validateShape.errors ?? []).map(fieldOf));
  return [...fields].map((field) => ({ code: CODE_BY_FIELD[field], field }));
}

function fieldOf(error: ErrorObject): keyof RowShape {
  return error.instancePath.slice(1) as keyof RowShape;
}
