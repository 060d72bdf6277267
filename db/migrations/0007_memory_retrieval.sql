ALTER TABLE "advisor_memory" ADD COLUMN "pinned" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "advisor_memory" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "advisor_memory" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', replace(key, '_', ' ') || ' ' || value)) STORED;--> statement-breakpoint
-- Keys were not unique before: keep the newest row of each key.
DELETE FROM "advisor_memory" a USING "advisor_memory" b WHERE a."project_id" = b."project_id" AND a."key" = b."key" AND (a."updated_at", a."id") < (b."updated_at", b."id");--> statement-breakpoint
CREATE UNIQUE INDEX "advisor_memory_project_key" ON "advisor_memory" USING btree ("project_id","key");--> statement-breakpoint
CREATE INDEX "advisor_memory_search_idx" ON "advisor_memory" USING gin ("search");