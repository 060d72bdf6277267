CREATE TABLE "advisor_conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" text NOT NULL,
	"module" text DEFAULT 'assist' NOT NULL,
	"messages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"context_snapshot" jsonb,
	"outcome" text,
	"session_ids" uuid[] DEFAULT '{}'::uuid[],
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "advisor_memory" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" text NOT NULL,
	"category" text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	"confidence" real DEFAULT 1,
	"source_conversation_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" text NOT NULL,
	"module" text DEFAULT 'code' NOT NULL,
	"app_name" text NOT NULL,
	"app_path" text NOT NULL,
	"task" text NOT NULL,
	"plan" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"output" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"changed_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "llm_calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" text,
	"workflow_id" text,
	"conversation_id" uuid,
	"session_id" uuid,
	"role" text NOT NULL,
	"tier" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cached_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" numeric(14, 6) DEFAULT '0' NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"outcome" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"repo_url" text NOT NULL,
	"default_branch" text DEFAULT 'main' NOT NULL,
	"deploy" jsonb,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"token_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "session_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" uuid NOT NULL,
	"session_id" uuid,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"idempotency_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "advisor_memory" ADD CONSTRAINT "advisor_memory_source_conversation_id_advisor_conversations_id_fk" FOREIGN KEY ("source_conversation_id") REFERENCES "public"."advisor_conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "advisor_conversations_project_created_idx" ON "advisor_conversations" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "advisor_memory_project_category_idx" ON "advisor_memory" USING btree ("project_id","category");--> statement-breakpoint
CREATE INDEX "agent_sessions_project_created_idx" ON "agent_sessions" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "llm_calls_project_created_idx" ON "llm_calls" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "llm_calls_conversation_idx" ON "llm_calls" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "llm_calls_session_idx" ON "llm_calls" USING btree ("session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "projects_name_key" ON "projects" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "session_events_stream_seq_key" ON "session_events" USING btree ("conversation_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "session_events_idempotency_key" ON "session_events" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "session_events_session_idx" ON "session_events" USING btree ("session_id");