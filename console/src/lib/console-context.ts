import { createContext, useContext } from 'react';
import type { Api } from './api';
import type { StreamClient } from './stream-client';

/** What every page needs: the API client for the signed-in token, and the page's one live stream. */
export type ConsoleServices = { api: Api; stream: StreamClient };

export const ConsoleContext = createContext<ConsoleServices | null>(null);

export function useConsole(): ConsoleServices {
  const services = useContext(ConsoleContext);
  if (!services) throw new Error('useConsole outside the signed-in console');
  return services;
}
