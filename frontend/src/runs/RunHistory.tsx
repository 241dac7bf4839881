import { useState } from 'react';
import { api } from '../api/client';
import type { HistoryEvent } from '../api/types';
import { formatTime } from '../common/format';
import { Empty, ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

const PAGE = 100;

/** The run's Temporal workflow history, oldest first, a page at a time: for debugging a run. */
export function RunHistory({ runId }: { runId: string }) {
  const first = useApi((s) => api.getRunHistory(runId, 0, PAGE, s), [runId]);
  const [more, setMore] = useState<{ items: HistoryEvent[]; nextAfter?: number | null }>();
  const [moreError, setMoreError] = useState<Error>();
  const [loadingMore, setLoadingMore] = useState(false);
  if (first.error) return <ErrorBox error={first.error} title="Could not load the event history" />;
  if (!first.data) return <Loading what="Loading the event history" />;
  const items = [...first.data.items, ...(more?.items ?? [])];
  const nextAfter = more ? more.nextAfter : first.data.nextAfter;
  const loadMore = async () => {
    if (nextAfter == null) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await api.getRunHistory(runId, nextAfter, PAGE);
      setMore({ items: [...(more?.items ?? []), ...page.items], nextAfter: page.nextAfter });
    } catch (e) {
      setMoreError(e as Error);
    } finally {
      setLoadingMore(false);
    }
  };
  if (items.length === 0) return <Empty>Temporal has no events for this run yet.</Empty>;
  return (
    <>
      <table aria-label="Event history">
        <thead>
          <tr>
            <th>#</th>
            <th>Time</th>
            <th>Event</th>
            <th>Activity</th>
            <th>Step</th>
            <th>Attempt</th>
            <th>Failure</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.eventId}>
              <td>{e.eventId}</td>
              <td>{formatTime(e.time)}</td>
              <td>
                <code>{e.type}</code>
              </td>
              <td>{e.activity ?? ''}</td>
              <td>{e.stepId ?? ''}</td>
              <td>{e.attempt ?? ''}</td>
              <td className="pre-wrap">{e.failure ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {moreError && <ErrorBox error={moreError} title="Could not load more events" />}
      {nextAfter != null && (
        <button type="button" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Load more events'}
        </button>
      )}
    </>
  );
}
