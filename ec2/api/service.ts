import type { ApiError } from '../errors.js';
import type { QueryParams } from '../query.js';
import type { XmlValue } from '../xml.js';

/** A call's result: the elements inside `<ActionResponse>` (EC2) or `<ActionResult>` (Auto Scaling). */
export type ActionResult = Record<string, XmlValue>;
export type Action = (q: QueryParams) => ActionResult | Promise<ActionResult>;

/**
 * One AWS Query API served by the endpoint (EC2 today, Auto Scaling next): the Version it
 * answers to, its actions, and how it frames answers and errors, which differ per service.
 */
export interface QueryService {
  /** The SigV4 credential scope's service name (`ec2`, `autoscaling`). */
  name: string;
  version: string;
  actions: ReadonlyMap<string, Action>;
  render(action: string, requestId: string, result: ActionResult): string;
  renderError(err: ApiError, requestId: string): string;
}
