import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetectors, DEFAULT_THRESHOLDS, type Attempt, type Finding } from '../../src/integrity/anomaly-detectors.js';

/** A seeded PRNG, so each run judges the same population. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const T0 = Date.UTC(2026, 10, 23, 12);

function run(detectors: AnomalyDetectors, attempts: Attempt[]): Map<string, Finding[]> {
  const findings = new Map<string, Finding[]>();
  for (const attempt of [...attempts].sort((a, b) => a.atMs - b.atMs)) {
    for (const finding of detectors.observe(attempt)) findings.set(attempt.userId, [...(findings.get(attempt.userId) ?? []), finding]);
  }
  return findings;
}

/** Honest players: irregular pauses of several seconds, mostly small increments, one or two addresses. */
function honest(count: number, random: () => number, minutes = 10): Attempt[] {
  const attempts: Attempt[] = [];
  for (let p = 0; p < count; p++) {
    const userId = `honest-${p}`;
    const skill = 0.5 + random() * 1.5;
    const home = `10.0.${p % 250}.${p % 7}`;
    let t = T0 + random() * 20_000;
    while (t < T0 + minutes * 60_000) {
      const increment = Math.max(1, Math.round((random() < 0.85 ? random() * 20 : 20 + random() * 80) * skill));
      attempts.push({ userId, atMs: Math.round(t), ipAddress: random() < 0.97 ? home : `172.16.${p % 200}.9`, outcome: 'applied', increment });
      t += 6_000 + random() * 20_000;
    }
  }
  return attempts;
}

describe('anomaly detectors', () => {
  it('flag a bot clicking every 1000 ms (machine-regular intervals), not jittery humans', () => {
    const detectors = new AnomalyDetectors();
    const random = prng(1);
    const bot: Attempt[] = Array.from({ length: 20 }, (_, i) => ({ userId: 'bot', atMs: T0 + i * 1000 + Math.round(random() * 4), ipAddress: '1.2.3.4', outcome: 'applied', increment: 5 }));
    const findings = run(detectors, [...bot, ...honest(50, random)]);
    assert.ok(findings.get('bot')?.some((f) => f.reason === 'REGULAR_INTERVALS'));
    const evidence = findings.get('bot')!.find((f) => f.reason === 'REGULAR_INTERVALS')!.details;
    assert.ok((evidence.coefficientOfVariation as number) < 0.01);
    assert.equal([...findings.keys()].filter((id) => id.startsWith('honest')).length, 0);
  });

  it('flag score growth far above the population (robust z-score), not the best honest players', () => {
    const detectors = new AnomalyDetectors();
    const random = prng(2);
    const cheater: Attempt[] = Array.from({ length: 40 }, (_, i) => ({ userId: 'whale', atMs: T0 + 30_000 + i * 7_300 + Math.round(random() * 3000), ipAddress: '5.6.7.8', outcome: 'applied', increment: 200 }));
    const findings = run(detectors, [...cheater, ...honest(300, random)]);
    const velocity = findings.get('whale')?.find((f) => f.reason === 'SCORE_VELOCITY');
    assert.ok(velocity, 'the cheater is flagged');
    assert.ok((velocity.details.zScore as number) >= DEFAULT_THRESHOLDS.zScore);
    assert.ok((velocity.details.population as number) >= DEFAULT_THRESHOLDS.minPopulation);
    assert.deepEqual([...findings.keys()].filter((id) => id.startsWith('honest')), []);
  });

  it('do not judge growth before the population is large enough', () => {
    const detectors = new AnomalyDetectors();
    const random = prng(3);
    const cheater: Attempt[] = Array.from({ length: 40 }, (_, i) => ({ userId: 'whale', atMs: T0 + i * 5_000 + Math.round(random() * 2000), ipAddress: '5.6.7.8', outcome: 'applied', increment: 200 }));
    const findings = run(detectors, [...cheater, ...honest(10, random)]);
    assert.equal(findings.get('whale')?.some((f) => f.reason === 'SCORE_VELOCITY') ?? false, false);
  });

  it('flag a burst of distinct addresses, and forget addresses older than the window', () => {
    const detectors = new AnomalyDetectors();
    const burst: Attempt[] = Array.from({ length: 6 }, (_, i) => ({ userId: 'hopper', atMs: T0 + i * 9_000, ipAddress: `198.51.100.${i}`, outcome: 'applied', increment: 1 }));
    assert.ok(run(detectors, burst).get('hopper')?.some((f) => f.reason === 'IP_BURST'));
    const slow = new AnomalyDetectors();
    const spread: Attempt[] = Array.from({ length: 6 }, (_, i) => ({ userId: 'traveller', atMs: T0 + i * 100_000, ipAddress: `198.51.100.${i}`, outcome: 'applied', increment: 1 }));
    assert.equal(run(slow, spread).get('traveller'), undefined);
  });

  it('flag repeated signature failures and repeated TOO_FAST refusals, not a single slip', () => {
    const detectors = new AnomalyDetectors();
    const forger: Attempt[] = Array.from({ length: 5 }, (_, i) => ({ userId: 'forger', atMs: T0 + i * 3_100 + i * i * 97, ipAddress: '9.9.9.9', outcome: 'INVALID_SIGNATURE' }));
    const rusher: Attempt[] = Array.from({ length: 5 }, (_, i) => ({ userId: 'rusher', atMs: T0 + i * 2_700 + i * i * 53, ipAddress: '9.9.9.8', outcome: 'TOO_FAST' }));
    const slip: Attempt[] = [{ userId: 'slip', atMs: T0, ipAddress: '9.9.9.7', outcome: 'INVALID_SIGNATURE' }, { userId: 'slip', atMs: T0 + 5000, ipAddress: '9.9.9.7', outcome: 'TOO_FAST' }];
    const findings = run(detectors, [...forger, ...rusher, ...slip]);
    assert.deepEqual(findings.get('forger')?.map((f) => f.reason), ['SIGNATURE_FAILURES']);
    assert.deepEqual(findings.get('rusher')?.map((f) => f.reason), ['TOO_FAST_REPEATED']);
    assert.equal(findings.get('slip'), undefined);
  });

  it('keep memory bounded: idle players are swept away', () => {
    const detectors = new AnomalyDetectors();
    run(detectors, honest(100, prng(4), 1));
    assert.equal(detectors.size, 100);
    detectors.sweep(T0 + 60_000 + DEFAULT_THRESHOLDS.windowMs + 30_000);
    assert.equal(detectors.size, 0);
  });
});
