/**
 * An AWS Query API error (EC2 now, Auto Scaling later): the code AWS uses (clients match on it), a message in AWS's words, and
 * the HTTP status (4xx: the caller's fault; 5xx: the service's, which SDKs retry).
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static missing(param: string): ApiError {
    return new ApiError('MissingParameter', `The request must contain the parameter ${param}`);
  }

  static invalidValue(param: string, value: string, why: string): ApiError {
    return new ApiError('InvalidParameterValue', `Value (${value}) for parameter ${param} is invalid. ${why}`);
  }

  static invalidCombination(message: string): ApiError {
    return new ApiError('InvalidParameterCombination', message);
  }

  static instanceNotFound(ids: readonly string[]): ApiError {
    const list = ids.map((id) => `'${id}'`).join(', ');
    return new ApiError('InvalidInstanceID.NotFound', ids.length === 1 ? `The instance ID ${list} does not exist` : `The instance IDs ${list} do not exist`);
  }

  static malformedInstanceId(id: string): ApiError {
    return new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  }

  static throttled(): ApiError {
    return new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
  }

  static capacity(instanceType: string, zone: string, others: readonly string[]): ApiError {
    const alt = others.length ? ` You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing ${others.join(', ')}.` : '';
    return new ApiError(
      'InsufficientInstanceCapacity',
      `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity.${alt}`,
      500,
    );
  }
}
