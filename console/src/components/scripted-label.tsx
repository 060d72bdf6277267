/** Marks text a scripted scenario wrote, so it is never taken for a model's answer. */
export function ScriptedLabel() {
  return (
    <span className="scripted-label" data-testid="scripted-label" title="Written by a scripted demo scenario, not by an AI model">
      scripted demo
    </span>
  );
}
