/**
 * What the sandbox's probes (bwrap, the internet-only network, cgroup bounds) found, remembered per key: a
 * success for the life of the process, a failure for half a minute. Long enough that the public /health
 * cannot make us spawn probes at will; short enough that installing what was missing needs no restart.
 */
const FAILED_PROBE_TTL_MS = 30_000;

export function probeCache<T>(probe: (key: string) => Promise<T>, succeeded: (result: T) => boolean): (key: string) => Promise<T> {
  const results = new Map<string, Promise<T>>();
  return (key) => {
    let result = results.get(key);
    if (!result) {
      const probing = probe(key);
      result = probing;
      results.set(key, probing);
      void probing.then((found) => {
        if (succeeded(found)) return;
        setTimeout(() => results.get(key) === probing && results.delete(key), FAILED_PROBE_TTL_MS).unref();
      });
    }
    return result;
  };
}
