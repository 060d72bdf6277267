import fs from 'node:fs/promises';
import { z } from 'zod';
import { explainFsError } from './fs-errors.js';
import { ToolError } from './tool-error.js';
import type { ToolDefinition } from './types.js';
import { walkWorkspace } from './walk-workspace.js';
import { resolveWorkspacePath } from './workspace-path.js';

const input = z.object({
  path: z.string().optional().describe('Folder to list, relative to the workspace root. Defaults to the root (".").'),
  recursive: z.boolean().optional().describe('List everything below the folder too, not just its direct entries. Defaults to false.'),
});

// Counting what the cap hides stops here, so a huge build folder cannot stall the call.
const maxCounted = 100_000;

/** Lists a workspace folder: one workspace-relative path per line, folders ending in `/`. */
export const listFilesTool: ToolDefinition<z.infer<typeof input>> = {
  name: 'list_files',
  description:
    'List the files and folders in a workspace folder, one path per line relative to the workspace root; folders end with "/". ' +
    '.git and node_modules are skipped. Use recursive: true to see a whole subtree.',
  input,
  async execute(ctx, { path: requested = '.', recursive = false }) {
    const target = await resolveWorkspacePath(ctx.root, requested);
    const stat = await fs.stat(target.absolute).catch((error: unknown) => {
      throw explainFsError(error, requested);
    });
    if (!stat.isDirectory()) throw new ToolError(`"${requested}" is a file, not a folder; use read_file to read it`);

    const lines: string[] = [];
    let hidden = 0;
    for await (const entry of walkWorkspace(target.realRoot, target.absolute, { recursive })) {
      if (lines.length < ctx.limits.maxListEntries) {
        lines.push(entry.kind === 'dir' ? `${entry.relative}/` : entry.relative);
      } else if (++hidden >= maxCounted) {
        break;
      }
    }
    if (lines.length === 0) return { output: `("${target.relative}" is an empty folder)`, isError: false };
    if (hidden > 0) {
      const more = hidden >= maxCounted ? `at least ${hidden}` : `${hidden}`;
      lines.push(`(${more} more not shown; list a subfolder to see them)`);
    }
    return { output: lines.join('\n'), isError: false };
  },
};
