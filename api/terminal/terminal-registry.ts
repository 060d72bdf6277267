/**
 * The open terminals of this API process: a cap per project (each is a shell with a memory and process
 * budget of its own), and the list the app's shutdown ends. A slot is taken before any slow step (clone,
 * sandbox start) so concurrent opens cannot slip past the cap.
 */

/** What the registry holds of one terminal: how to end it. */
export type OpenTerminal = { end(code: number, reason: string): Promise<void> };

export type TerminalSlot = {
  /** Registers how to end this terminal at shutdown. */
  attach(terminal: OpenTerminal): void;
  /** Gives the slot back; safe to call more than once. */
  release(): void;
};

export class TerminalRegistry {
  private readonly byProject = new Map<string, Set<TerminalSlot>>();
  private readonly open = new Map<TerminalSlot, OpenTerminal | undefined>();

  constructor(readonly maxPerProject: number) {}

  /** A slot for one more terminal of the project, or undefined when it has its maximum. */
  reserve(projectId: string): TerminalSlot | undefined {
    const key = projectId.toLowerCase();
    const slots = this.byProject.get(key) ?? new Set<TerminalSlot>();
    if (slots.size >= this.maxPerProject) return undefined;
    const slot: TerminalSlot = {
      attach: (terminal) => {
        if (this.open.has(slot)) this.open.set(slot, terminal);
      },
      release: () => {
        this.open.delete(slot);
        slots.delete(slot);
        if (slots.size === 0) this.byProject.delete(key);
      },
    };
    slots.add(slot);
    this.byProject.set(key, slots);
    this.open.set(slot, undefined);
    return slot;
  }

  /** How many terminals of the project are open (or opening). */
  count(projectId: string): number {
    return this.byProject.get(projectId.toLowerCase())?.size ?? 0;
  }

  /** Ends every open terminal; resolves once their shells are gone. */
  async endAll(code: number, reason: string): Promise<void> {
    await Promise.all([...this.open.values()].map((t) => t?.end(code, reason)));
  }
}
