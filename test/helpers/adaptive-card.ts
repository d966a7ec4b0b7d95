import { Ajv } from 'ajv';

/**
 * The required fields of the Adaptive Card schema (adaptivecards.io/schemas/adaptive-card.json, 1.4)
 * for what a card of ours holds, and the Teams Workflows envelope ("Send webhook alerts to a channel").
 */
const TEAMS_SCHEMA = {
  type: 'object', required: ['type', 'attachments'],
  properties: {
    type: { const: 'message' },
    attachments: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', required: ['contentType', 'content'],
        properties: {
          contentType: { const: 'application/vnd.microsoft.card.adaptive' },
          content: {
            type: 'object', required: ['type', 'version', 'body'],
            properties: {
              type: { const: 'AdaptiveCard' }, version: { type: 'string', pattern: '^1\\.[0-5]$' },
              body: {
                type: 'array',
                items: {
                  oneOf: [
                    { type: 'object', required: ['type', 'text'], properties: { type: { const: 'TextBlock' }, text: { type: 'string' }, fontType: { enum: ['Default', 'Monospace'] }, size: { enum: ['Small', 'Default', 'Medium', 'Large', 'ExtraLarge'] }, weight: { enum: ['Lighter', 'Default', 'Bolder'] }, color: { enum: ['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention'] } } },
                    { type: 'object', required: ['type', 'facts'], properties: { type: { const: 'FactSet' }, facts: { type: 'array', items: { type: 'object', required: ['title', 'value'], properties: { title: { type: 'string' }, value: { type: 'string' } } } } } },
                  ],
                },
              },
            },
          },
        },
      },
    },
  },
};

const validate = new Ajv({ strict: false, allErrors: true }).compile(TEAMS_SCHEMA);

/** The schema's complaints about a Teams Workflows body (none: it is valid). */
export function validTeamsCard(body: unknown): string[] {
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
