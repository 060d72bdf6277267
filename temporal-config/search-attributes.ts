import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';

// The proto package is CommonJS: take the namespace off its default export so plain Node ESM can load it.
const { temporal } = proto;

import { SEARCH_ATTRIBUTES } from '../core/search-attributes.js';

const indexedValueType: Record<string, number> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

/**
 * Registers the product's custom search attributes in a namespace if they are missing. Safe to call from
 * every process at every start, against the dev server or a production cluster.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const current = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...current.customAttributes, ...current.systemAttributes };
  const missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in known));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedValueType[key.type]!])),
    });
  } catch (err) {
    // Another process registered them between our list and add: that is the state we wanted.
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
  return missing.map((key) => key.name);
}
