import { useConnectionState } from '@spool/client/react';

const liveText = {
  open: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
} as const;

/**
 * The live connection's state, always visible (`data-state` carries the raw state).
 *
 * @example <LiveBadge />
 */
export function LiveBadge({ testId = 'live-state' }: { testId?: string }) {
  const state = useConnectionState();
  return (
    <span
      className={`badge badge-${state}`}
      role="status"
      aria-label={`Live connection: ${liveText[state]}`}
      data-testid={testId}
      data-state={state}
    >
      <span className="dot" aria-hidden="true" />
      {liveText[state]}
    </span>
  );
}
