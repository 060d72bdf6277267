import fs from 'node:fs/promises';
import { z } from 'zod';
import { explainFsError } from './fs-errors.js';
import { ToolError } from './tool-error.js';
import type { ToolDefinition } from './types.js';
import { maxWriteBytes } from './write-file.js';
import { resolveWorkspacePath } from './workspace-path.js';

const input = z.object({
  path: z.string().min(1).describe('File to edit, relative to the workspace root.'),
  old_text: z
    .string()
    .min(1)
    .describe('The exact text to replace, including whitespace and indentation. It must occur exactly once in the file.'),
  new_text: z.string().describe('The text to put in its place. Empty to delete old_text.'),
});

/** Replaces one exact, unique occurrence of a text in a file. */
export const editFileTool: ToolDefinition<z.infer<typeof input>> = {
  name: 'edit_file',
  description:
    'Replace one exact occurrence of old_text with new_text in a file. old_text must match the file exactly ' +
    '(whitespace included) and occur once; include a few surrounding lines to make it unique.',
  input,
  async execute(ctx, { path: requested, old_text: oldText, new_text: newText }) {
    const target = await resolveWorkspacePath(ctx.root, requested, { forWrite: true });
    try {
      const text = await fs.readFile(target.absolute, 'utf8');
      let [from, to] = [oldText, newText];
      let found = occurrences(text, from);
      // read_file shows lines without their \r, so text copied from it misses a CRLF file's line ends.
      if (found.length === 0 && text.includes('\r\n') && from.includes('\n')) {
        [from, to] = [toCrlf(from), toCrlf(to)];
        found = occurrences(text, from);
      }
      if (found.length === 0) {
        throw new ToolError(
          `old_text was not found in "${requested}". Read the file again with read_file and copy the text exactly, whitespace included.`,
        );
      }
      if (found.length > 1) {
        const lines = found.map((index) => lineAt(text, index)).join(', ');
        throw new ToolError(
          `old_text occurs ${found.length} times in "${requested}" (lines ${lines}); include more surrounding lines so it matches exactly once.`,
        );
      }
      const at = found[0] as number;
      const edited = text.slice(0, at) + to + text.slice(at + from.length);
      if (Buffer.byteLength(edited, 'utf8') > maxWriteBytes) {
        throw new ToolError(`the edited file would be over the ${maxWriteBytes}-byte limit`);
      }
      await fs.writeFile(target.absolute, edited, 'utf8');
      return { output: `Edited ${target.relative} at line ${lineAt(text, at)}.`, isError: false, changedFiles: [target.relative] };
    } catch (error) {
      throw explainFsError(error, requested);
    }
  },
};

function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let index = text.indexOf(needle); index !== -1; index = text.indexOf(needle, index + 1)) found.push(index);
  return found;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
