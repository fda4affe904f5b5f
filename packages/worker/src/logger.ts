/** Structured JSON logs: one line per event, with job id, stage, message id and correlation id. */
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

export function jsonLogger(
  base: Record<string, unknown> = {},
  write: (s: string) => unknown = (s) => process.stdout.write(s),
): Logger {
  return (event, fields = {}) => {
    write(`${JSON.stringify({ time: new Date().toISOString(), event, ...base, ...fields })}\n`);
  };
}

export const silent: Logger = () => {};
