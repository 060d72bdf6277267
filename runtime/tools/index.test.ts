import { describe, expect, it } from 'vitest';
import { agentTools, executeTool, findTool, toolJsonSchemas } from './index.js';
import { makeWorkspace } from './test-workspace.js';

describe('executeTool', () => {
  it('names the valid tools when asked for an unknown one', async () => {
    const ctx = await makeWorkspace();
    const outcome = await executeTool(ctx, 'delete_everything', {});
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toContain('There is no tool named "delete_everything"');
    for (const tool of agentTools) expect(outcome.output).toContain(tool.name);
  });

  it('names the fields that are missing or wrong', async () => {
    const ctx = await makeWorkspace();
    const missing = await executeTool(ctx, 'write_file', { path: 'a.txt' });
    expect(missing).toEqual({ output: 'Invalid input for write_file: content: is required. Fix these fields and call write_file again.', isError: true });
    const wrong = await executeTool(ctx, 'read_file', { path: 'a.txt', offset: 'ten' });
    expect(wrong.isError).toBe(true);
    expect(wrong.output).toContain('offset: Invalid input: expected number, received string');
    const none = await executeTool(ctx, 'edit_file', undefined);
    expect(none.output).toContain('path: is required');
    expect(none.output).toContain('old_text: is required');
  });

  it('turns a failure inside a tool into an error outcome', async () => {
    const outcome = await executeTool({ ...(await makeWorkspace()), root: '/nonexistent-vibn-root' }, 'list_files', {});
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toMatch(/^list_files failed: /);
  });

  it('finishes with the summary for the founder', async () => {
    const ctx = await makeWorkspace();
    const outcome = await executeTool(ctx, 'finish', { summary: '  Added a signup page.  ' });
    expect(outcome).toEqual({ output: 'Finished.', isError: false, finish: { summary: 'Added a signup page.' } });
    expect((await executeTool(ctx, 'finish', { summary: ' ' })).isError).toBe(true);
  });
});

describe('tool definitions', () => {
  it('finds tools by name', () => {
    expect(findTool('read_file')?.name).toBe('read_file');
    expect(findTool('nope')).toBeUndefined();
  });

  it('gives every tool a JSON schema whose fields are all described, defaults optional', () => {
    const schemas = toolJsonSchemas();
    expect(schemas.map((s) => s.name)).toEqual(['list_files', 'read_file', 'search', 'write_file', 'edit_file', 'execute_command', 'finish']);
    for (const schema of schemas) {
      expect(schema.description.length).toBeGreaterThan(20);
      expect(schema.inputSchema.type).toBe('object');
      expect(schema.inputSchema).not.toHaveProperty('$schema');
      for (const [field, property] of Object.entries(schema.inputSchema.properties ?? {})) {
        expect(typeof property === 'object' && property.description, `${schema.name}.${field}`).toBeTruthy();
      }
    }
    const read = schemas.find((s) => s.name === 'read_file');
    expect(read?.inputSchema.required).toEqual(['path']);
  });
});
