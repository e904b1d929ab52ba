import pino from "pino";
import { env } from "./config";

// Structured JSON logs. Secrets and personal data are redacted by path as a backstop; the
// code logs ids and counts, not emails or payloads.
export const log = pino({
  level: env().LOG_LEVEL,
  base: { service: "entitled" },
  redact: {
    paths: [
      "email",
      "*.email",
      "authorization",
      "*.authorization",
      "headers",
      "*.headers",
      "token",
      "*.token",
      "secret",
      "*.secret",
      "payload",
      "*.payload",
    ],
    censor: "[redacted]",
  },
});
