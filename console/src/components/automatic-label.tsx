/** Marks a message a template wrote from the data (a finding, a briefing): neither a model's answer nor a demo. */
export function AutomaticLabel() {
  return (
    <span className="automatic-label" data-testid="automatic-label" title="Written automatically from your project's data, not by an AI model">
      automatic summary
    </span>
  );
}
