ALTER TABLE "advisor_conversations" ADD COLUMN "budget_extra_usd" numeric(12, 4) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "monthly_budget_usd" numeric(12, 4);