import { z } from 'zod';
import type { ToolDefinition } from './types.js';

const input = z.object({
  summary: z
    .string()
    .trim()
    .min(1)
    .describe('What was done, in plain words for the founder, who does not read code: what changed, what was checked, anything left open.'),
});

/** Ends the agent's work on the task; the summary is what the founder is told. */
export const finishTool: ToolDefinition<z.infer<typeof input>> = {
  name: 'finish',
  description: 'Call when the task is done (or cannot be done) to stop working and report. Make no other tool call after it.',
  input,
  async execute(_ctx, { summary }) {
    return { output: 'Finished.', isError: false, finish: { summary } };
  },
};
