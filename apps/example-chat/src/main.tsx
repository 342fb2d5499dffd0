import { SpoolClient } from '@spool/client';
import { SpoolProvider } from '@spool/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { roomFromLocation } from './room';
import './styles.css';

// The page's own origin: `pnpm example` (vite preview) proxies /v1 to `spool serve`.
// Served from elsewhere, set VITE_SPOOL_WS_URL at build time (e.g. wss://spool.example.com/v1/ws).
const url =
  import.meta.env.VITE_SPOOL_WS_URL ??
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`;

// One client for the page's lifetime: it reconnects and resumes by itself (backoff,
// the browser's `online` event, the tab becoming visible).
const client = new SpoolClient(url);

const root = document.getElementById('root');
if (!root) throw new Error('index.html must contain <div id="root"></div>.');
createRoot(root).render(
  <StrictMode>
    <SpoolProvider client={client}>
      <App room={roomFromLocation(location)} />
    </SpoolProvider>
  </StrictMode>,
);
