/**
 * True when the user passed a V8 flag matching `flag` (in node's own flags or NODE_OPTIONS):
 * the proxy sets some V8 flags itself, and a user's choice of the same setting wins.
 */
export function userSetV8Flag(flag: RegExp, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return execArgv.some((a) => flag.test(a)) || flag.test(nodeOptions);
}
