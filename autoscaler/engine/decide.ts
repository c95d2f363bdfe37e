import { clamp, combine } from './calculator.js';
import { backoffUntil, classify, updateBootFailures, type Classified } from './health.js';
import { proxyDemand, recommend } from './metrics.js';
import { recordAction, scaleDownLimit, scaleUpLimit } from './policy.js';
import { pickVictims } from './select.js';
import { remember, stabilized } from './stabilization.js';
import type { Decision, EngineInput, Explanation, History, MetricRecommendation, Rule } from './types.js';

export interface Outcome {
  decision: Decision;
  /** Pass this back with the next input. */
  history: History;
}

/**
 * One autoscaling decision: pure arithmetic over a snapshot of the fleet, like Kubernetes'
 * replica calculator. The caller fetches, acts and records; nothing here does I/O.
 */
export function decide(input: EngineInput, history: History): Outcome {
  const { now, config: cfg } = input;
  const c = classify(input.servers, cfg, now);
  const boot = updateBootFailures(history.bootFailures, c.dead, input.servers, now);
  const until = backoffUntil(boot, cfg);
  const current = c.capacity.length;
  const proxies = proxyDemand(input.proxies, cfg, now);
  const metrics = recommend(cfg, c, proxies, now);
  const p = combine(metrics, current);
  const explanation: Explanation = {
    counts: {
      ready: c.measured.length + c.stale.length,
      warming: c.warming.length,
      launching: c.launching.length,
      draining: c.draining.length,
      stale: c.stale.length,
      dead: c.dead.length,
    },
    proxies,
    metrics,
    proposed: p.proposed,
    bootFailures: boot.count,
    ...(until > now ? { backoffUntil: until } : {}),
  };

  // More than half of the ready servers stale looks like a Redis blip, not a dead fleet: hold.
  const readyCount = c.measured.length + c.stale.length;
  const staleHold = c.stale.length > 0 && c.stale.length * 2 > readyCount;
  let target = clamp(staleHold || !p.voted ? current : p.proposed, cfg.min, cfg.max);
  const windowMs = cfg.scaleDownWindowMs;
  const recommendations = staleHold ? history.recommendations.filter((r) => r.at > now - windowMs) : remember(history.recommendations, now, target, windowMs);
  // A death is not a scale-in: the fleet shrinks below its size before the deaths only as far
  // as a scale-in could (the window's highest recommendation, nothing while metrics are stale).
  const before = current + c.dead.length;
  let replacing = false;
  if (c.dead.length > 0 && target < before) {
    const keep = staleHold || c.stale.length > 0 ? before : Math.max(target, stabilized(recommendations, now, windowMs));
    const t2 = clamp(Math.min(before, keep), cfg.min, cfg.max);
    replacing = t2 > target && t2 > current;
    target = Math.max(target, t2);
  }

  let rule: Rule;
  let desired = target;
  let launch = 0;
  let remove: string[] = [];
  let detail = '';

  if (target > current) {
    const limit = Math.max(scaleUpLimit(cfg.scaleUp, history.actions, current, now), cfg.min);
    desired = Math.min(target, limit);
    if (desired < target) explanation.limit = limit;
    launch = desired - current;
    if (replacing) rule = 'replace';
    else if (current < cfg.min && (p.proposed <= cfg.min || staleHold || !p.voted)) rule = 'min';
    else if (p.proposed > cfg.max && desired === cfg.max) rule = 'max';
    else rule = 'scale-out';
    if (now < until) {
      rule = 'back-off';
      launch = 0;
      detail = `${boot.count} boot failures in a row; next launch after ${new Date(until).toISOString()}`;
    } else if (boot.count > 0 && launch > 1) {
      // After failures, one probe server at a time until a boot succeeds: no launch storm.
      launch = 1;
      detail = `${boot.count} boot failures in a row: launching one server to probe`;
    }
  } else if (target < current) {
    ({ rule, desired, detail } = scaleIn(input, c, recommendations, target, current, staleHold, explanation, history));
    remove = pickVictims(c, current - desired, cfg);
    if (remove.length < current - desired) detail = `only ${remove.length} of the servers are ours to remove`;
  } else {
    if (staleHold) rule = 'stale-hold';
    else if (!p.voted) rule = 'no-metrics';
    else if (p.proposed < cfg.min) rule = 'min';
    else if (p.proposed > cfg.max) rule = 'max';
    else rule = p.allWithinTolerance ? 'tolerance' : 'steady';
  }
  if (staleHold && rule !== 'min' && rule !== 'replace') detail ||= `${c.stale.length} of ${readyCount} ready servers have stale metrics (a Redis blip?)`;

  const action = launch > 0 ? 'scale-out' : remove.length > 0 ? 'scale-in' : 'none';
  const decision: Decision = {
    at: now,
    action,
    current,
    desired,
    launch,
    remove,
    dead: c.dead,
    rule,
    reason: reasonText(rule, current, desired, launch, remove, c, metrics, detail),
    explanation,
  };
  const keepMs = Math.max(cfg.scaleUp.periodMs, cfg.scaleDown.periodMs);
  const delta = launch - remove.length;
  return {
    decision,
    history: {
      recommendations,
      actions: recordAction(history.actions, now, delta, keepMs),
      bootFailures: boot,
    },
  };
}

function scaleIn(
  input: EngineInput,
  c: Classified,
  recommendations: History['recommendations'],
  target: number,
  current: number,
  staleHold: boolean,
  explanation: Explanation,
  history: History,
): { rule: Rule; desired: number; detail: string } {
  const { now, config: cfg } = input;
  if (input.incomplete) return { rule: 'listing-no-scale-in', desired: current, detail: input.incomplete };
  if (current > cfg.max) return { rule: 'max', desired: cfg.max, detail: '' };
  if (staleHold) return { rule: 'stale-hold', desired: current, detail: '' };
  if (c.stale.length > 0) {
    return { rule: 'stale-no-scale-in', desired: current, detail: `${c.stale.map((s) => s.server.id).join(', ')} ha${c.stale.length === 1 ? 's' : 've'} stale metrics, which never cause a scale-in` };
  }
  const booting = c.launching.length + c.warming.length;
  if (booting > 0) return { rule: 'booting-no-scale-in', desired: current, detail: `${booting} servers are still booting or warming up; their share of the load is not seen yet` };
  const stab = stabilized(recommendations, now, cfg.scaleDownWindowMs);
  explanation.stabilized = stab;
  const goal = Math.max(target, stab);
  if (goal >= current) return { rule: 'stabilizing', desired: current, detail: `the last ${cfg.scaleDownWindowMs / 1000} s asked for up to ${stab}` };
  const limit = scaleDownLimit(cfg.scaleDown, history.actions, current, now);
  const desired = Math.max(goal, limit, cfg.min);
  if (desired > goal) explanation.limit = limit;
  return { rule: 'scale-in', desired, detail: desired > goal ? `at most ${current - desired} per ${cfg.scaleDown.periodMs / 1000} s` : '' };
}

function reasonText(rule: Rule, current: number, desired: number, launch: number, remove: string[], c: Classified, metrics: MetricRecommendation[], detail: string): string {
  const why = metrics.map((m) => `${m.metric}: ${m.formula}`).join('; ') || 'no target set';
  const dead = c.dead.length ? `${c.dead.length} dead (${c.dead.map((d) => `${d.id} ${d.reason}`).join(', ')}); ` : '';
  const extra = detail ? ` (${detail})` : '';
  const text: Record<Rule, string> = {
    replace: `launch ${launch} to replace them, back to ${desired}: ${why}`,
    'scale-out': `scale out ${current} → ${desired}, launch ${launch}: ${why}`,
    'scale-in': `scale in ${current} → ${current - remove.length}, remove ${remove.join(', ')}: ${why}`,
    steady: `steady at ${current}: ${why}`,
    tolerance: `hold ${current}: ${why}`,
    stabilizing: `hold ${current}: metrics ask for fewer (${why})`,
    'stale-hold': `hold ${current}: too many stale metrics`,
    'stale-no-scale-in': `hold ${current}: metrics ask for fewer (${why})`,
    'booting-no-scale-in': `hold ${current}: metrics ask for fewer (${why})`,
    'listing-no-scale-in': `hold ${current}: metrics ask for fewer (${why})`,
    min: launch > 0 ? `launch ${launch} to keep the minimum of ${desired}` : `hold ${current}, the minimum: ${why}`,
    max:
      desired < current
        ? `scale in ${current} → ${current - remove.length} to the maximum ${desired}`
        : launch > 0
          ? `scale out ${current} → ${desired}, launch ${launch}, capped at the maximum: ${why}`
          : `hold ${current}, the maximum: ${why}`,
    'back-off': `want ${desired}, have ${current}, launching nothing`,
    'no-metrics': `hold ${current}: ${metrics.length ? 'no fresh metrics to decide on' : 'no target set'}`,
  };
  return dead + text[rule] + extra;
}
