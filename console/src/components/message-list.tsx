import { Fragment } from 'react';
import type { ConversationView, PlanCard as Plan, StreamEvent } from '../lib/types';
import { AutomaticLabel } from './automatic-label';
import { PlanCard } from './plan-card';
import { ScriptedLabel } from './scripted-label';

type Props = { view: ConversationView; events: StreamEvent[]; onChanged: () => void };

type ShownPlan = Plan & { scripted: boolean };

/**
 * What Assist's messages say, from the log: whether each was scripted or written by a template from the data
 * (a finding, a briefing), and which plan card came with it (a revised plan brings a new card). Keyed by text,
 * in order, since the view's messages carry neither.
 */
function readLog(events: StreamEvent[]) {
  const scripted = new Map<string, boolean>();
  const automatic = new Set<string>();
  const plans = new Map<string, ShownPlan[]>();
  let lastPlanText: string | null = null;
  for (const e of events) {
    if (e.kind === 'assistant.message' && typeof e.payload.text === 'string') {
      // A template is no stand-in for a model, so its text is not a scripted demo, whatever its payload says.
      const template = e.payload.generatedBy === 'template';
      if (template) automatic.add(e.payload.text);
      scripted.set(e.payload.text, !template && (e.scripted === true || e.payload.scripted === true));
      lastPlanText = e.payload.replyKind === 'plan' ? e.payload.text : null;
    } else if (e.kind === 'plan.card' && lastPlanText !== null) {
      const p = e.payload as unknown as Plan & { scripted?: boolean };
      const card = { version: p.version, summary: p.summary, items: p.items ?? [], estimatedMinutes: p.estimatedMinutes, scripted: e.scripted === true || p.scripted === true };
      plans.set(lastPlanText, [...(plans.get(lastPlanText) ?? []), card]);
      lastPlanText = null;
    }
  }
  return { scripted, automatic, plans };
}

/** The conversation's messages, with each plan card under the message that brought it. */
export function MessageList({ view, events, onChanged }: Props) {
  const { scripted, automatic, plans } = readLog(events);
  const placed = new Set<number>();
  const cardFor = (text: string) => {
    const card = plans.get(text)?.find((p) => !placed.has(p.version));
    if (card) placed.add(card.version);
    return card;
  };
  const renderCard = (card: ShownPlan) => <PlanCard key={`plan-${card.version}`} plan={card} scripted={card.scripted} view={view} onChanged={onChanged} />;

  const rows = view.messages.map((m, i) => {
    const card = m.role === 'assist' ? cardFor(m.content) : undefined;
    return (
      <Fragment key={i}>
        <li className={`message ${m.role}`} data-testid="message" data-role={m.role}>
          <span className="who">{m.role === 'founder' ? 'You' : 'Assist'}</span>
          {m.role === 'assist' && scripted.get(m.content) && <ScriptedLabel />}
          {m.role === 'assist' && automatic.has(m.content) && <AutomaticLabel />}
          <p>{m.content}</p>
        </li>
        {card && renderCard(card)}
      </Fragment>
    );
  });
  // The plan on the table, before the log that places it has arrived.
  const unplaced = view.plan && !placed.has(view.plan.version) ? { ...view.plan, scripted: false } : null;

  return (
    <ul className="messages" data-testid="messages">
      {rows}
      {unplaced && renderCard(unplaced)}
    </ul>
  );
}
