CREATE TABLE "deploys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" text NOT NULL,
	"conversation_id" uuid,
	"kind" text NOT NULL,
	"commit" text NOT NULL,
	"status" text DEFAULT 'started' NOT NULL,
	"log_tail" text,
	"url" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "parent_id" uuid;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "workflow_id" text;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "status" text DEFAULT 'running' NOT NULL;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "phase" text DEFAULT 'assisting' NOT NULL;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "request_text" text;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "plan" jsonb;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "result" jsonb;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "advisor_conversations" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "conversation_id" uuid;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "task_key" text;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "tier" text;--> statement-breakpoint
CREATE UNIQUE INDEX "deploys_conversation_key" ON "deploys" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "deploys_project_started_idx" ON "deploys" USING btree ("project_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "advisor_conversations_idempotency_key" ON "advisor_conversations" USING btree ("project_id","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "advisor_conversations_advisor_key" ON "advisor_conversations" USING btree ("parent_id","module");--> statement-breakpoint
CREATE UNIQUE INDEX "agent_sessions_conversation_task_key" ON "agent_sessions" USING btree ("conversation_id","task_key");