import type { Project } from '../lib/types';

/** Which project the console shows, when the token sees several. */
export function ProjectPicker({ projects, value, onChange }: { projects: Project[]; value: string | null; onChange: (id: string) => void }) {
  return (
    <select className="project-picker" value={value ?? ''} onChange={(e) => onChange(e.target.value)} data-testid="project-picker" aria-label="Project">
      {projects.map((p) => (
        <option key={p.id} value={p.id}>
          {p.name}
        </option>
      ))}
    </select>
  );
}
