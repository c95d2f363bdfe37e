// Errors with stable codes: logs, HTTP bodies and tests match on `code`, never on text.
export class ShoalError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ShoalError';
  }
}

// A bad flag, env value or config file: the CLI prints the message alone and exits 2.
export class ConfigError extends ShoalError {
  constructor(message: string) {
    super('SHOAL_ERR_CONFIG', message, 400);
    this.name = 'ConfigError';
  }
}
