import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { createBrowserEnv } from './app/browserEnv';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html must contain <div id="root"></div>.');
createRoot(root).render(
  <StrictMode>
    <App env={createBrowserEnv()} />
  </StrictMode>,
);
