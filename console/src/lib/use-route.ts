import { useCallback, useEffect, useState } from 'react';
import { parseRoute, routePath, type Route } from './route';

/** The current route from the address bar, and a way to move (History API: back and forward work). */
export function useRoute(): [Route, (to: Route, options?: { replace?: boolean }) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: Route, options: { replace?: boolean } = {}) => {
    const path = routePath(to);
    if (path !== window.location.pathname) {
      if (options.replace) window.history.replaceState(null, '', path);
      else window.history.pushState(null, '', path);
    }
    setRoute(to);
  }, []);
  return [route, navigate];
}
