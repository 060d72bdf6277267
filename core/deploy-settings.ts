import { z } from 'zod';

const oneLine = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

/**
 * How a project deploys: run a command on this machine (the embedded default), or not at all. The API
 * validates what it stores with this schema and the deploy activity reads it back with the same one.
 */
export const deploySettingsSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('command'),
    command: z.string().trim().min(1).max(4_000).refine(oneLine, { message: 'must be one line' }),
    /** Where the deployed product can be opened, shown to the founder. */
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2_000).optional(),
    timeoutSeconds: z.number().int().min(1).max(3_600).optional(),
  }),
  z.object({ kind: z.literal('none') }),
]);

export type DeploySettings = z.infer<typeof deploySettingsSchema>;

/** A deploy command that runs longer than this, without its own timeout setting, is stopped. */
export const DEFAULT_DEPLOY_TIMEOUT_SECONDS = 600;
