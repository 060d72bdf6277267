import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The project a run belongs to, so the Web UI can list one founder's runs. */
export const PROJECT_ID = defineSearchAttributeKey('ProjectId', SearchAttributeType.KEYWORD);
/** Where a run stands (its phase while running, then completed/failed/stopped), kept current by workflows. */
export const SESSION_STATUS = defineSearchAttributeKey('SessionStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [PROJECT_ID, SESSION_STATUS];
