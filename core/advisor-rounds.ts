/**
 * How long an advisor may read before it must answer. Shared by the advisor's round activity (which offers no
 * tools from the last round on) and the request workflow (which bounds its loop of rounds by the same number).
 */
export const ADVISOR_READING_ROUNDS = 8;
/** The round by which the advisor has answered: reading rounds 0..7, then the answer at the latest. */
export const ADVISOR_ROUND_LIMIT = ADVISOR_READING_ROUNDS;
