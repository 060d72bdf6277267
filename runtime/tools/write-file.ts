import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { explainFsError } from './fs-errors.js';
import { ToolError } from './tool-error.js';
import type { ToolDefinition } from './types.js';
import { resolveWorkspacePath } from './workspace-path.js';

/** Largest file `write_file` and `edit_file` will produce; bigger outputs are generated, not typed by a model. */
export const maxWriteBytes = 1_000_000;

const input = z.object({
  path: z.string().min(1).describe('File to write, relative to the workspace root. Missing folders are created.'),
  content: z.string().describe('The complete new content of the file. It replaces whatever the file held.'),
});

/** Creates or overwrites a whole file. */
export const writeFileTool: ToolDefinition<z.infer<typeof input>> = {
  name: 'write_file',
  description:
    'Create a file, or replace all of an existing file, with the given content. Missing folders are created. ' +
    'To change part of an existing file prefer edit_file.',
  input,
  async execute(ctx, { path: requested, content }) {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > maxWriteBytes) {
      throw new ToolError(`content is ${bytes} bytes, over the ${maxWriteBytes}-byte limit; split it into smaller files or generate it with execute_command`);
    }
    const target = await resolveWorkspacePath(ctx.root, requested, { forWrite: true });
    if (target.relative === '.') throw new ToolError('path must name a file, not the workspace root');
    try {
      const existed = await fs.stat(target.absolute).then(
        (stat) => {
          if (stat.isDirectory()) throw new ToolError(`"${requested}" is a folder; choose a file path inside it`);
          return true;
        },
        () => false,
      );
      await fs.mkdir(path.dirname(target.absolute), { recursive: true });
      await fs.writeFile(target.absolute, content, 'utf8');
      const verb = existed ? 'Replaced' : 'Created';
      return { output: `${verb} ${target.relative} (${bytes} bytes).`, isError: false, changedFiles: [target.relative] };
    } catch (error) {
      throw explainFsError(error, requested);
    }
  },
};
