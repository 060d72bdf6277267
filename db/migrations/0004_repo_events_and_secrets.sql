CREATE TABLE "project_secrets" (
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "repo_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"delivery_id" text NOT NULL,
	"kind" text NOT NULL,
	"ref" text,
	"before" text,
	"after" text,
	"pusher" text,
	"commits" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "project_secrets_key" ON "project_secrets" USING btree ("project_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "repo_events_delivery_key" ON "repo_events" USING btree ("project_id","delivery_id");--> statement-breakpoint
CREATE INDEX "repo_events_project_received_idx" ON "repo_events" USING btree ("project_id","received_at");