/**
 * The fault suite's one piece of shared setup: its workers run the demo's agent commands in the bubblewrap
 * sandbox, so bubblewrap is installed first when missing (or the run stops with the command to run). Its
 * servers it starts and kills itself.
 */
import { createLogger } from '../../lib/logger.js';
import { ensureSystemPackages, PRODUCT_PACKAGES } from '../../scripts/system-packages.js';

export default async function setup() {
  const log = createLogger({ logLevel: 'info', logFormat: 'json' }, 'faults-setup');
  await ensureSystemPackages(PRODUCT_PACKAGES, (line) => log.info(line));
}
