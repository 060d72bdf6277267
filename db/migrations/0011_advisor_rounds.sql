CREATE TABLE "advisor_rounds" (
	"conversation_id" uuid NOT NULL,
	"module" text NOT NULL,
	"round" integer NOT NULL,
	"reply" jsonb NOT NULL,
	"model" text NOT NULL,
	"scripted" boolean DEFAULT false NOT NULL,
	"tool_results" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "advisor_rounds_key" ON "advisor_rounds" USING btree ("conversation_id","module","round");