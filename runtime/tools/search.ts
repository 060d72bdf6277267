import fs from 'node:fs/promises';
import { z } from 'zod';
import { explainFsError } from './fs-errors.js';
import { looksBinary } from './read-file.js';
import { ToolError } from './tool-error.js';
import type { ToolDefinition } from './types.js';
import { walkWorkspace, type WalkEntry } from './walk-workspace.js';
import { resolveWorkspacePath } from './workspace-path.js';

const input = z.object({
  pattern: z.string().min(1).describe('A JavaScript regular expression, or plain text when fixed is true. Matched line by line.'),
  path: z.string().optional().describe('File or folder to search, relative to the workspace root. Defaults to the whole workspace.'),
  fixed: z.boolean().optional().describe('Treat pattern as plain text rather than a regular expression. Defaults to false.'),
  ignore_case: z.boolean().optional().describe('Match regardless of upper or lower case. Defaults to false.'),
});

// Files this big are generated or data, and reading them would stall the call for no useful match.
const maxSearchedFileBytes = 1_000_000;
const maxShownLineChars = 300;

/** Finds lines matching a pattern across workspace files, in TypeScript so no ripgrep is needed on the worker. */
export const searchTool: ToolDefinition<z.infer<typeof input>> = {
  name: 'search',
  description:
    'Search file contents for a regular expression (or plain text with fixed: true). Prints "file:line: text" for ' +
    'each matching line. Skips .git, node_modules, binary files and files over 1 MB.',
  input,
  async execute(ctx, { pattern, path: requested = '.', fixed = false, ignore_case: ignoreCase = false }) {
    const matcher = compile(pattern, fixed, ignoreCase);
    const target = await resolveWorkspacePath(ctx.root, requested);
    const stat = await fs.stat(target.absolute).catch((error: unknown) => {
      throw explainFsError(error, requested);
    });
    const files: AsyncIterable<WalkEntry> | WalkEntry[] = stat.isDirectory()
      ? walkWorkspace(target.realRoot, target.absolute, { recursive: true })
      : [{ absolute: target.absolute, relative: target.relative, kind: 'file' }];

    const max = ctx.limits.maxSearchMatches;
    const matches: string[] = [];
    for await (const file of files) {
      if (file.kind !== 'file') continue;
      const text = await readSearchable(file.absolute);
      if (text === undefined) continue;
      const lines = text.split('\n');
      for (let i = 0; i < lines.length && matches.length <= max; i += 1) {
        const line = (lines[i] as string).replace(/\r$/, '');
        if (matcher.test(line)) matches.push(`${file.relative}:${i + 1}: ${shorten(line)}`);
      }
      if (matches.length > max) break;
    }
    if (matches.length === 0) return { output: `No matches for ${JSON.stringify(pattern)} in ${target.relative}.`, isError: false };
    if (matches.length > max) {
      matches.length = max;
      matches.push(`(stopped after ${max} matches; narrow the pattern or the path to see the rest)`);
    }
    return { output: matches.join('\n'), isError: false };
  },
};

function compile(pattern: string, fixed: boolean, ignoreCase: boolean): RegExp {
  const source = fixed ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern;
  try {
    return new RegExp(source, ignoreCase ? 'i' : '');
  } catch (error) {
    throw new ToolError(`pattern is not a valid regular expression (${(error as Error).message}); pass fixed: true to search for the text as written`);
  }
}

async function readSearchable(file: string): Promise<string | undefined> {
  try {
    const stat = await fs.stat(file);
    if (stat.size > maxSearchedFileBytes || (await looksBinary(file))) return undefined;
    return await fs.readFile(file, 'utf8');
  } catch {
    // A file deleted or unreadable mid-walk is simply not searched.
    return undefined;
  }
}

function shorten(line: string): string {
  return line.length > maxShownLineChars ? `${line.slice(0, maxShownLineChars)} [line cut]` : line;
}
