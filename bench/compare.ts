/**
 * Two builds of the topic matcher side by side in one process (`npm run bench -- compare <root A>
 * [<root B>]`, B defaulting to this checkout): each root is a checkout with `dist/` built
 * (`npm run build`; an older commit: `git worktree add /tmp/base <commit>`, link node_modules,
 * build). Both match the same 200 items of bench/rules.ts at T topics; rounds alternate A, B, B,
 * A, ..., and each round's B/A time is one sample.
 *
 * Why paired rounds: these machines run memory-bound code up to ~1.7× slower for seconds at a
 * time, in spells that come and go within a run (see docs/benchmarks.md, session 5), so two
 * processes run one after the other, or two long runs, compare spells rather than code; a ratio
 * taken round by round holds both builds to the same spell.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { quantile } from './quantile.js';

interface Build {
  root: string;
  items: number;
  run: () => void;
}

type Matcher = unknown;
interface CompileModule {
  compileTopics(topics: { id: number; slug: string; rule: string }[]): Matcher;
  matchItem(m: Matcher, item: unknown): unknown[];
}
interface RulesModule {
  benchInputs(): { items: { item: unknown }[]; rulesByT: Map<number, string[]> };
}

async function load(root: string, t: number): Promise<Build> {
  const from = (file: string) => pathToFileURL(path.resolve(root, 'dist', file)).href;
  const { compileTopics, matchItem } = (await import(from('src/rules/compile.js'))) as CompileModule;
  const { benchInputs } = (await import(from('bench/rules.js'))) as RulesModule;
  const { items, rulesByT } = benchInputs();
  const rules = rulesByT.get(t);
  if (!rules)
    throw new Error(`no rules for T = ${t} in ${root} (bench/rules.ts has ${[...rulesByT.keys()].join(', ')})`);
  const matcher = compileTopics(rules.map((rule, i) => ({ id: i, slug: `t${i}`, rule })));
  return { root, items: items.length, run: () => items.forEach((x) => matchItem(matcher, x.item)) };
}

/** µs per item of each build (best and median round), and the quartiles of B's time over A's, round by round. */
export async function compareBuilds(rootA: string, rootB: string, t = 1000, rounds = 300): Promise<string[]> {
  const builds = [await load(rootA, t), await load(rootB, t)] as const;
  // Warm-up (~1 s): V8 compiles the hot code in tiers as it runs.
  for (let k = 0; k < 30; k++) builds.forEach((b) => b.run());
  const times: [number[], number[]] = [[], []];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const round = [0, 0];
    for (const k of r % 2 ? [1, 0] : [0, 1]) {
      const start = performance.now();
      builds[k]!.run();
      round[k] = ((performance.now() - start) / builds[k]!.items) * 1000;
    }
    times[0].push(round[0]!);
    times[1].push(round[1]!);
    ratios.push(round[1]! / round[0]!);
  }
  const us = (k: 0 | 1) =>
    `${builds[k].root}: best ${quantile(times[k], 0).toFixed(1)} µs/item, median ${quantile(times[k], 0.5).toFixed(1)}`;
  return [
    `T=${t}, ${rounds} paired rounds of ${builds[0].items} items`,
    `A ${us(0)}`,
    `B ${us(1)}`,
    `B/A round by round: median ${quantile(ratios, 0.5).toFixed(3)} (quartiles ${quantile(ratios, 0.25).toFixed(3)}–${quantile(ratios, 0.75).toFixed(3)})`,
  ];
}
