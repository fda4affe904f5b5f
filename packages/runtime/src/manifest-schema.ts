/**
 * The model manifest schema (JSON Schema draft-07): the one source of the manifest's shape. Ajv
 * validates with it, the Manifest type is derived from it (json-schema-to-ts), and
 * manifest.schema.json is written from it for other tools (`npm run manifest:schema`; a test
 * checks that the file is current).
 */

const sha256 = {
  type: 'string',
  pattern: '^[0-9a-f]{64}$',
} as const;

const dtype = {
  enum: ['float32', 'float16', 'int64', 'int32'],
} as const;

const stage = {
  type: 'object',
  required: ['component', 'steps', 'guidance'],
  additionalProperties: false,
  properties: {
    component: {
      type: 'string',
    },
    steps: {
      type: 'integer',
      minimum: 1,
    },
    guidance: {
      type: 'number',
      minimum: 0,
    },
  },
} as const;

const component = {
  type: 'object',
  required: ['file', 'sha256', 'inputs', 'outputs'],
  additionalProperties: false,
  properties: {
    file: {
      type: 'string',
    },
    sha256: sha256,
    inputs: {
      type: 'object',
      minProperties: 1,
      additionalProperties: dtype,
    },
    outputs: {
      type: 'object',
      minProperties: 1,
      additionalProperties: dtype,
    },
  },
} as const;

const variant = {
  type: 'object',
  required: ['base'],
  additionalProperties: false,
  properties: {
    base: stage,
    relay: stage,
  },
} as const;

export const manifestSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://baton.dev/schemas/model-manifest-1.json',
  title: 'Baton model manifest, schema_version 1',
  type: 'object',
  required: [
    'schema_version',
    'id',
    'prediction_type',
    'schedule',
    'latent_channels',
    'vae_scale_factor',
    'vae_scaling_factor',
    'tokenizer',
    'components',
    'base',
    'relay',
    'variants',
  ],
  additionalProperties: false,
  properties: {
    schema_version: {
      const: 1,
    },
    id: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9._-]*$',
    },
    description: {
      type: 'string',
    },
    created: {
      description: 'When the family was made (Unix seconds): `created` in /v1/models.',
      type: 'integer',
      minimum: 0,
    },
    prediction_type: {
      enum: ['epsilon', 'v_prediction', 'sample'],
    },
    schedule: {
      type: 'object',
      required: ['num_train_timesteps', 'beta_start', 'beta_end', 'beta_schedule'],
      additionalProperties: false,
      properties: {
        num_train_timesteps: {
          type: 'integer',
          minimum: 2,
        },
        beta_start: {
          type: 'number',
          exclusiveMinimum: 0,
        },
        beta_end: {
          type: 'number',
          exclusiveMinimum: 0,
        },
        beta_schedule: {
          enum: ['scaled_linear', 'linear'],
        },
      },
    },
    latent_channels: {
      type: 'integer',
      minimum: 1,
    },
    vae_scale_factor: {
      type: 'integer',
      minimum: 1,
    },
    vae_scaling_factor: {
      type: 'number',
      exclusiveMinimum: 0,
    },
    tokenizer: {
      type: 'object',
      required: ['file', 'sha256', 'max_length'],
      additionalProperties: false,
      properties: {
        file: {
          type: 'string',
        },
        sha256: sha256,
        max_length: {
          type: 'integer',
          minimum: 1,
        },
      },
    },
    components: {
      type: 'object',
      required: ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder'],
      additionalProperties: component,
    },
    base: {
      type: 'object',
      required: ['resolution'],
      additionalProperties: false,
      properties: {
        resolution: {
          type: 'integer',
          minimum: 8,
        },
      },
    },
    relay: {
      type: 'object',
      required: ['scale', 'start_t', 'max_stages'],
      additionalProperties: false,
      properties: {
        scale: {
          const: 2,
        },
        start_t: {
          type: 'integer',
          minimum: 1,
        },
        max_stages: {
          type: 'integer',
          minimum: 0,
        },
      },
    },
    variants: {
      type: 'object',
      additionalProperties: variant,
    },
    // A stage's settings, plus the resolution the single-stage model samples at.
    single_stage: {
      ...stage,
      required: ['component', 'resolution', 'steps', 'guidance'],
      properties: { ...stage.properties, resolution: { type: 'integer', minimum: 8 } },
    },
    // best_of's scorer: an image model whose logits are the named heads one after another; the
    // domain says which label of each head a caption asks for (Domain.labels).
    scorer: {
      type: 'object',
      required: ['component', 'resolution', 'heads'],
      additionalProperties: false,
      description:
        'best_of scorer: pixel_values [B, 3, R, R] in [-1, 1] → logits [B, sum of head sizes], each head a softmax over its labels.',
      properties: {
        component: { type: 'string' },
        resolution: { type: 'integer', minimum: 8 },
        heads: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['name', 'labels'],
            additionalProperties: false,
            properties: {
              name: { type: 'string' },
              labels: { type: 'array', minItems: 2, items: { type: 'string' } },
            },
          },
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_prompt_chars: {
          type: 'integer',
          minimum: 1,
        },
        max_batch: {
          type: 'integer',
          minimum: 1,
        },
      },
    },
    prompt_expander: {
      enum: ['shapes', 'llm', 'none'],
      description:
        'How prompts become captions: the shapes-domain expander, an LLM (OpenAI-compatible), or verbatim.',
    },
  },
} as const;
