CREATE TABLE "monitor_findings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"fingerprint" text NOT NULL,
	"summary" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"deploy_id" uuid,
	"commit" text,
	"conversation_id" uuid,
	"status" text DEFAULT 'open' NOT NULL,
	"acted_conversation_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"conversation_id" uuid,
	"read_at" timestamp with time zone,
	"email_status" text,
	"idempotency_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "product_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"event_id" text NOT NULL,
	"name" text NOT NULL,
	"user_id" text,
	"anonymous_id" text,
	"platform" text,
	"properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "notify_email" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "notification_prefs" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "last_visit_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "monitor_findings_fingerprint_key" ON "monitor_findings" USING btree ("project_id","fingerprint");--> statement-breakpoint
CREATE INDEX "monitor_findings_project_created_idx" ON "monitor_findings" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_idempotency_key" ON "notifications" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "notifications_project_created_idx" ON "notifications" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "product_events_event_key" ON "product_events" USING btree ("project_id","event_id");--> statement-breakpoint
CREATE INDEX "product_events_project_name_time_idx" ON "product_events" USING btree ("project_id","name","occurred_at");--> statement-breakpoint
CREATE INDEX "product_events_project_time_idx" ON "product_events" USING btree ("project_id","occurred_at");