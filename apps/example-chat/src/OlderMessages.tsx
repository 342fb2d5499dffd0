import type { ChannelView } from '@spool/client/react';
import { type RefObject, useEffect, useRef } from 'react';

/**
 * The top of the room: scrolling up to it loads the next page of older messages from the
 * server's history (`useChannel`'s `loadOlder`, docs/http-api.md "Channel history"), which
 * holds every finished message, long after the channel's topic has trimmed them.
 */
export function OlderMessages({
  view,
  scroller,
}: {
  view: Pick<ChannelView, 'hasOlder' | 'loadingOlder' | 'olderError' | 'loadOlder'>;
  scroller: RefObject<HTMLElement | null>;
}) {
  const { hasOlder, loadingOlder, olderError, loadOlder } = view;
  const top = useRef<HTMLDivElement>(null);

  // A new observer after every page: its first callback reports whether the top is still in
  // view (a page too short to fill the screen), and so loads the next one.
  useEffect(() => {
    const el = top.current;
    if (!el || !hasOlder || loadingOlder || olderError) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void loadOlder();
      },
      { root: scroller.current, rootMargin: '200px 0px 0px 0px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasOlder, loadingOlder, olderError, loadOlder, scroller]);

  return (
    <div ref={top} className="older" data-testid="older" data-has-older={hasOlder} aria-live="polite">
      {olderError ? (
        <>
          Older messages did not load ({olderError.code}).{' '}
          <button type="button" onClick={() => void loadOlder()}>
            Retry
          </button>
        </>
      ) : loadingOlder ? (
        'Loading older messages…'
      ) : hasOlder ? (
        ''
      ) : (
        'The beginning of the room.'
      )}
    </div>
  );
}
