/** One point of a demand/supply series: both in resource units (servers), `t` in seconds. */
export interface ElasticitySample {
  t: number;
  demand: number;
  supply: number;
}

/**
 * The SPEC Research Group's elasticity metrics (Herbst et al., "Quantifying Cloud
 * Performance and Dependability", ACM TOMPECS 2018) over a step-wise series: each sample
 * holds until the next one, so the last sample only closes the series.
 */
export interface Elasticity {
  /** Under-provisioning accuracy θU: mean of max(d − s, 0) / d over time, in % of demand. */
  thetaU: number;
  /** Over-provisioning accuracy θO: mean of max(s − d, 0) / d over time, in % of demand. */
  thetaO: number;
  /** Under-provisioning timeshare τU: share of time with s < d, in % of time. */
  tauU: number;
  /** Over-provisioning timeshare τO: share of time with s > d, in % of time. */
  tauO: number;
  /**
   * Jitter: (supply adaptations − demand adaptations) per minute. Below 0 the supply
   * follows too few of demand's changes; above 0 it oscillates.
   */
  jitter: number;
  /** Supply adaptations (changes of supply between consecutive samples). */
  scalingActions: number;
  scaleUps: number;
  scaleDowns: number;
  /** Demand adaptations. */
  demandChanges: number;
  durationSeconds: number;
}

/** A zero demand divides by 1 unit, so θ stays finite while an idle fleet is still judged. */
export function elasticity(samples: readonly ElasticitySample[]): Elasticity {
  let under = 0;
  let over = 0;
  let tUnder = 0;
  let tOver = 0;
  let scaleUps = 0;
  let scaleDowns = 0;
  let demandChanges = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const { t, demand: d, supply: s } = samples[i]!;
    const dt = samples[i + 1]!.t - t;
    const unit = Math.max(d, 1);
    under += (Math.max(d - s, 0) / unit) * dt;
    over += (Math.max(s - d, 0) / unit) * dt;
    if (s < d) tUnder += dt;
    if (s > d) tOver += dt;
  }
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (b.supply > a.supply) scaleUps++;
    if (b.supply < a.supply) scaleDowns++;
    if (b.demand !== a.demand) demandChanges++;
  }
  const T = samples.length > 1 ? samples[samples.length - 1]!.t - samples[0]!.t : 0;
  const pct = (x: number) => (T > 0 ? (100 * x) / T : 0);
  const scalingActions = scaleUps + scaleDowns;
  return {
    thetaU: pct(under),
    thetaO: pct(over),
    tauU: pct(tUnder),
    tauO: pct(tOver),
    jitter: T > 0 ? (scalingActions - demandChanges) / (T / 60) : 0,
    scalingActions,
    scaleUps,
    scaleDowns,
    demandChanges,
    durationSeconds: T,
  };
}
