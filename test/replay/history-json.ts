/**
 * Workflow histories to and from the JSON form Temporal's tools write (`temporal workflow show -o json`, the
 * Web UI's download): the same conversion as historyToJSON / historyFromJSON of @temporalio/common, which fail
 * in this install with "type must be a Type". npm gives @temporalio/common and @temporalio/proto each their own
 * copy of protobufjs 8 (the top level holds 7 for other packages), and common's converter checks the history
 * type against its own copy's class while the type was built by proto's. Here the converter is loaded from
 * the copy @temporalio/proto resolves, so type and converter always agree, however npm lays the copies out.
 */
import { createRequire } from 'node:module';
import type * as Proto from '@temporalio/proto';

export type History = Proto.temporal.api.history.v1.IHistory;

type ProtoJson = {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
};

// Loaded with require from @temporalio/proto's own folder: its protobufjs copy, and the package itself, whose
// CommonJS exports a plain Node ESM import cannot name.
const fromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const proto = fromProto('@temporalio/proto') as typeof Proto;
const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
const { patchProtobufRoot } = fromProto('@temporalio/proto/lib/patch-protobuf-root') as { patchProtobufRoot<T>(root: T): T };
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

/** A history as proto3 JSON (camelCase fields, enum names, RFC 3339 times, base64 payloads). */
export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

/** A history back from proto3 JSON; fields a newer server added are ignored, as the SDK's reader does. */
export function historyFromJson(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
