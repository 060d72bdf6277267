import { useEffect, useState } from 'react';
import { useConsole } from '../lib/console-context';
import { usd } from '../lib/describe';

type Day = { day: string; costUsd: number };

/** What the project's AI work has cost over the last 30 days, by day. */
export function UsagePanel({ projectId }: { projectId: string }) {
  const { api } = useConsole();
  const [days, setDays] = useState<Day[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.usage(projectId).then(
      (u) => {
        if (!live) return;
        // The API splits each day by tier and model; the founder sees the day's total.
        const byDay = new Map<string, number>();
        for (const row of u.usage) byDay.set(row.day, (byDay.get(row.day) ?? 0) + row.costUsd);
        setDays([...byDay].map(([day, costUsd]) => ({ day, costUsd })));
        setTotal(u.totalUsd);
      },
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [api, projectId]);

  return (
    <section className="card usage" data-testid="usage">
      <h3>Spending, last 30 days</h3>
      {error && <p className="error">{error}</p>}
      {days && (
        <>
          <p className="total" data-testid="usage-total">{usd(total)}</p>
          {days.length === 0 ? (
            <p className="hint">Nothing spent yet.</p>
          ) : (
            <table>
              <tbody>
                {days.map((d) => (
                  <tr key={d.day}>
                    <td>{d.day}</td>
                    <td className="num">{usd(d.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
