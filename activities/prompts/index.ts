import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../lib/config.js';

const cache = new Map<string, string>();

/** A role's system prompt, from the Markdown file beside this one (read once per process). */
export function prompt(name: 'assist' | 'advisor' | 'orchestrator' | 'agent' | 'followup' | 'followup-findings' | 'memory'): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(projectRoot, 'activities', 'prompts', `${name}.md`), 'utf8');
    cache.set(name, text);
  }
  return text;
}
