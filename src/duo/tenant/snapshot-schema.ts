import { Ajv, type ErrorObject } from 'ajv';
import { lazyValidator } from '../../lazy-validator.js';
import { MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from '../../name-rules.js';

/**
 * What a `tenant export` snapshot may hold, checked once when a snapshot is read (plan --tenant,
 * tenant diff, simulator): a file of another shape is refused with the path of its first bad value
 * before anything uses it. Duo's own limits bound the lists (100 groups and 100 phones a user), so a
 * hostile file cannot make any reader's work or stack grow without bound.
 */
const nullableString = { type: ['string', 'null'], maxLength: MAX_TEXT_LENGTH } as const;
// The same limit validate, import and sync hold names to: a tenant duo-bridge wrote is one it can read back.
const name = { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH } as const;
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const token = {
  type: 'object',
  required: ['token_id', 'type', 'serial'],
  properties: { token_id: id, type: { type: 'string', maxLength: 16 }, serial: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

const snapshotSchema = {
  type: 'object',
  required: ['users'],
  properties: {
    host: { type: 'string', maxLength: 512 },
    exported_at: { type: 'string', maxLength: 64 },
    users: {
      type: 'array',
      items: {
        type: 'object',
        required: ['user_id', 'username'],
        properties: {
          user_id: id,
          username: name,
          aliases: { type: 'object', maxProperties: 8, propertyNames: { pattern: '^alias[1-8]$' }, additionalProperties: { type: 'string', maxLength: MAX_NAME_LENGTH } },
          email: nullableString,
          realname: nullableString,
          firstname: nullableString,
          lastname: nullableString,
          notes: nullableString,
          status: { type: 'string', maxLength: 64 },
          last_directory_sync: { type: ['integer', 'null'], minimum: 0, maximum: 1e11 },
          external_id: nullableString,
          is_enrolled: { type: 'boolean' },
          phones: {
            type: 'array',
            maxItems: 100,
            items: {
              type: 'object',
              required: ['number'],
              properties: { phone_id: { type: 'string', maxLength: 64 }, number: { type: 'string', maxLength: 64 }, extension: { type: 'string', maxLength: 64 } },
            },
          },
          groups: {
            type: 'array',
            maxItems: 100,
            items: { type: 'object', required: ['group_id', 'name'], properties: { group_id: id, name: { type: 'string', maxLength: MAX_TEXT_LENGTH } } },
          },
          tokens: { type: 'array', maxItems: 100, items: token },
        },
      },
    },
    groups: {
      type: ['array', 'null'],
      items: { type: 'object', required: ['group_id', 'name'], properties: { group_id: id, name: { type: 'string', maxLength: MAX_TEXT_LENGTH } } },
    },
    tokens: { type: ['array', 'null'], items: token },
    settings: {
      type: 'object',
      properties: { pending_deletion_days: { type: 'integer', minimum: 1, maximum: 3650 } },
    },
  },
} as const;

const validateSnapshot = lazyValidator(() => new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(snapshotSchema));

/** Null when `data` has a snapshot's shape; otherwise where and what the first bad value is. */
export function snapshotProblem(data: unknown): string | null {
  if (validateSnapshot(data)) return null;
  const [error] = validateSnapshot.errors as ErrorObject[];
  const where = error!.instancePath === '' ? 'the top level' : error!.instancePath.slice(1).replaceAll('/', '.');
  return `${where} ${error!.message ?? 'is not valid'}`;
}
