import { createStore, type StoreApi } from 'zustand/vanilla';

/** sessionStorage key of the admin token: it lives as long as the tab, never on disk for good. */
export const TOKEN_STORAGE_KEY = 'spool.adminToken';

export interface TokenState {
  token: string | null;
  setToken(token: string): void;
  clearToken(): void;
}

export type TokenStore = StoreApi<TokenState>;

/**
 * The admin token, mirrored to sessionStorage. It is sent as `Authorization: Bearer` and
 * as the live client's `token`.
 *
 * @example
 * const tokens = createTokenStore(sessionStorage);
 * tokens.getState().setToken('s3cret');
 */
export function createTokenStore(
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null,
): TokenStore {
  return createStore<TokenState>((set) => ({
    token: readToken(storage),
    setToken(token) {
      storage?.setItem(TOKEN_STORAGE_KEY, token);
      set({ token });
    },
    clearToken() {
      storage?.removeItem(TOKEN_STORAGE_KEY);
      set({ token: null });
    },
  }));
}

function readToken(storage: Pick<Storage, 'getItem'> | null): string | null {
  try {
    return storage?.getItem(TOKEN_STORAGE_KEY) || null;
  } catch {
    // Storage can throw (privacy modes); the operator then signs in again per page load.
    return null;
  }
}
