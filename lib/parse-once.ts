/**
 * zod's parse options for a schema parsed once, as configuration is at start-up: on an
 * object schema's first parse zod generates and compiles a faster parser for it (new
 * Function), which pays back only over many parses — for flags it was most of the parse's
 * cost, on every boot. Request validation, parsed again and again, keeps it.
 */
export const PARSE_ONCE = { jitless: true } as const;
