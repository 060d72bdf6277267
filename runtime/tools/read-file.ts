import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import readline from 'node:readline';
import { z } from 'zod';
import { explainFsError } from './fs-errors.js';
import { ToolError } from './tool-error.js';
import type { ToolDefinition } from './types.js';
import { resolveWorkspacePath } from './workspace-path.js';

const input = z.object({
  path: z.string().min(1).describe('File to read, relative to the workspace root.'),
  offset: z.number().int().min(1).optional().describe('First line to read, counting from 1. Defaults to 1.'),
  limit: z.number().int().min(1).optional().describe('Most lines to read. Defaults to as many as fit the size limit.'),
});

/** Reads a text file, or a window of its lines, streaming so a huge file never sits whole in memory. */
export const readFileTool: ToolDefinition<z.infer<typeof input>> = {
  name: 'read_file',
  description:
    'Read a text file from the workspace. Long files are cut at a size limit, and the result then says which ' +
    'offset to pass to read on. Use offset and limit to read just part of a file.',
  input,
  async execute(ctx, { path: requested, offset = 1, limit = Number.POSITIVE_INFINITY }) {
    const target = await resolveWorkspacePath(ctx.root, requested);
    try {
      const stat = await fs.stat(target.absolute);
      if (stat.isDirectory()) throw new ToolError(`"${requested}" is a folder; use list_files to see inside it`);
      if (await looksBinary(target.absolute)) {
        throw new ToolError(`"${requested}" looks like a binary file; inspect it with execute_command (for example "file" or "xxd | head")`);
      }
      return { output: await readLines(target.absolute, target.relative, offset, limit, ctx.limits.maxReadBytes), isError: false };
    } catch (error) {
      throw explainFsError(error, requested);
    }
  },
};

async function readLines(file: string, shown: string, offset: number, limit: number, maxBytes: number): Promise<string> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const kept: string[] = [];
  let bytes = 0;
  let lineNumber = 0;
  let stop: 'limit' | 'size' | undefined;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (lineNumber < offset) continue;
      if (kept.length >= limit) {
        stop = 'limit';
        break;
      }
      const size = Buffer.byteLength(line, 'utf8') + 1;
      if (bytes + size > maxBytes) {
        // A single line longer than the limit (minified code) is shown cut rather than not at all.
        if (kept.length === 0) kept.push(`${Buffer.from(line, 'utf8').subarray(0, maxBytes).toString('utf8')} [line cut at ${maxBytes} bytes]`);
        stop = 'size';
        break;
      }
      kept.push(line);
      bytes += size;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (kept.length === 0) {
    if (lineNumber === 0) return `("${shown}" is empty)`;
    throw new ToolError(`"${shown}" has only ${lineNumber} lines; pass an offset between 1 and ${lineNumber}`);
  }
  const last = offset + kept.length - 1;
  if (stop === 'size') {
    return `${kept.join('\n')}\n[showing lines ${offset}-${last}; the file continues: call read_file with offset=${last + 1} to read more]`;
  }
  if (stop === 'limit') return `${kept.join('\n')}\n[showing lines ${offset}-${last}; the file continues at line ${last + 1}]`;
  return kept.join('\n');
}

/** A NUL byte in the first few kilobytes is the same test git and grep use to call a file binary. */
export async function looksBinary(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(8000);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}
