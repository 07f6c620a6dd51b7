import { describe, expect, it } from 'vitest';
import {
  AsyncRewardError,
  type RewardBatch,
  type RewardDefinition,
  RewardRegistry,
  RewardRegistryError,
  RewardValueError,
  createRewardRegistry,
  scGrpoReward,
} from './index';

const NO = '<answer>No</answer>';
const YES = '<location>top left</location><type>scratch</type><answer>Yes</answer>';
const rightYes = '<think>A thin line.</think><location>upper left corner</location><type>scratch</type><answer>yes</answer>';
const wrongNo = '<think>Uniform.</think><answer>no</answer>';
// Right location and type, wrong answer: the two presets part ways here.
const wrongAnswerRightTags = '<think>A line.</think><location>top left</location><type>scratch</type><answer>no</answer>';
const rightNo = '<think>Uniform texture.</think><answer>no</answer>';

// Hand-checkable: 1 for a completion of at most 5 words of its <think>, else 0.
const brevity: RewardDefinition = {
  name: 'brevity',
  description: '1 when <think> has at most 5 words',
  defaultWeight: 0.5,
  score: ({ completions }) => completions.map((c) => ((/<think>(.*?)<\/think>/.exec(c)?.[1] ?? '').trim().split(/\s+/).length <= 5 ? 1 : 0)),
};

describe('createRewardRegistry', () => {
  it('holds the four SC-GRPO rewards and the paper and reference presets', () => {
    const registry = createRewardRegistry();
    expect(registry.names()).toEqual(['consistency', 'answer', 'location', 'type']);
    expect(registry.presetNames()).toEqual(['paper', 'reference']);
  });

  it('scores by eq. 9 under paper and by the released code under reference (hand-computed)', () => {
    const registry = createRewardRegistry();
    const completions = [rightYes, wrongNo, wrongAnswerRightTags, rightNo];
    const solutions = [YES, YES, YES, NO];
    const paper = registry.scorer().scoreSync(completions, solutions);
    // rightYes: 1 + 1 + 1 + 1; wrongNo: format wrong for a yes truth, answer wrong → 0;
    // wrongAnswerRightTags: format right (1), answer wrong, location and type gated off → 1; rightNo: 1 + 1.
    expect(paper.totals).toEqual([4, 0, 1, 2]);
    expect(paper.components).toEqual({ consistency: [1, 0, 1, 1], answer: [1, 0, 0, 1], location: [1, 0, 0, 0], type: [1, 0, 0, 0] });
    const reference = registry.scorer({ preset: 'reference' }).scoreSync(completions, solutions);
    // Location and type halve, and count whenever both tags are present: 1 + 0 + (1 + 1)/2 = 2.
    expect(reference.totals).toEqual([3, 0, 2, 2]);
    expect(reference.components.location).toEqual([1, 0, 1, 0]);
  });

  it('matches scGrpoReward one completion at a time', () => {
    const scorer = createRewardRegistry().scorer({ preset: 'reference', weights: { type: 2 } });
    const batch = scorer.scoreSync([rightYes, wrongAnswerRightTags], [YES, YES]);
    expect(batch.totals).toEqual([rightYes, wrongAnswerRightTags].map((c) => scGrpoReward(c, YES, { preset: 'reference', weights: { type: 2 } }).total));
  });
});

describe('RewardRegistry with a reward of your own', () => {
  it('adds its weighted value to the total and reports it as a component', () => {
    const registry = createRewardRegistry().register(brevity);
    const scorer = registry.scorer({ preset: 'paper' });
    expect(scorer.components.map((c) => [c.name, c.weight, c.gate ?? null])).toEqual([
      ['consistency', 1, null],
      ['answer', 1, null],
      ['location', 1, 'answer'],
      ['type', 1, 'answer'],
      ['brevity', 0.5, null],
    ]);
    const long = '<think>one two three four five six</think><answer>no</answer>';
    const { totals, components } = scorer.scoreSync([rightNo, long], [NO, NO]);
    expect(components.brevity).toEqual([1, 0]);
    expect(totals).toEqual([2.5, 2]);
    // A caller's multiplier scales the default weight; 0 switches the reward off.
    expect(registry.scorer({ weights: { brevity: 4 } }).scoreSync([rightNo], [NO]).totals).toEqual([4]);
    expect(registry.scorer({ weights: { brevity: 0 } }).scoreSync([rightNo], [NO]).totals).toEqual([2]);
  });

  it('passes the solutions, extras and grid size through', () => {
    const seen: RewardBatch[] = [];
    const registry = new RewardRegistry()
      .register({ name: 'probe', description: '', defaultWeight: 1, score: (b) => (seen.push(b), b.completions.map(() => 0)) })
      .registerPreset({ name: 'paper', description: '' });
    registry.scorer({ gridSize: 5 }).scoreSync([[{ role: 'assistant', content: 'hello' }]], [NO], [{ image: 'a.png' }]);
    expect(seen).toEqual([{ completions: ['hello'], solutions: [NO], extras: [{ image: 'a.png' }], gridSize: 5 }]);
  });

  it('scores a gated reward only on the completions its gate lets through, scaled by the gate', () => {
    const calls: string[][] = [];
    const registry = new RewardRegistry()
      .register({ name: 'half', description: '', defaultWeight: 1, score: ({ completions }) => completions.map((c) => (c.startsWith('x') ? 0.5 : 0)) })
      .register({ name: 'judge', description: '', defaultWeight: 2, score: ({ completions }) => (calls.push([...completions]), completions.map(() => 3)) })
      .registerPreset({ name: 'paper', description: '', gates: { judge: 'half' } });
    const { totals, components } = registry.scorer().scoreSync(['x1', 'y2', 'x3'], ['', '', '']);
    expect(calls).toEqual([['x1', 'x3']]);
    expect(components.judge).toEqual([1.5, 0, 1.5]);
    expect(totals).toEqual([0.5 + 2 * 1.5, 0, 0.5 + 2 * 1.5]);
    // A gate that lets nothing through: the gated reward is not called at all.
    registry.scorer().scoreSync(['y'], ['']);
    expect(calls).toHaveLength(1);
  });

  it('awaits asynchronous rewards, running ungated ones concurrently', async () => {
    const started: string[] = [];
    let release: () => void = () => undefined;
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    const waiting = (name: string): RewardDefinition => ({
      name,
      description: '',
      defaultWeight: 1,
      score: async ({ completions }) => {
        started.push(name);
        if (started.length === 2) release();
        await bothStarted; // never resolves unless the other reward started before this one finished
        return completions.map(() => 1);
      },
    });
    const scorer = createRewardRegistry().register(waiting('judge_a')).register(waiting('judge_b')).scorer();
    const { totals } = await scorer.score([rightNo], [NO]);
    expect(totals).toEqual([4]);
    expect(() => scorer.scoreSync([rightNo], [NO])).toThrow(AsyncRewardError);
  });

  it('leaves the registry it was cloned from and scorers made before untouched', () => {
    const base = createRewardRegistry();
    const before = base.scorer();
    const extended = base.clone().register(brevity);
    expect(base.names()).not.toContain('brevity');
    expect(extended.names()).toContain('brevity');
    base.register({ ...brevity, name: 'later' });
    expect(before.components.map((c) => c.name)).toEqual(['consistency', 'answer', 'location', 'type']);
  });
});

describe('RewardRegistry errors name what is wrong', () => {
  const registry = () => createRewardRegistry();

  it('refuses bad, reserved and taken names and bad definitions', () => {
    expect(() => registry().register({ ...brevity, name: 'Brevity' })).toThrow(/reward name "Brevity" must be lower case/);
    expect(() => registry().register({ ...brevity, name: 'total' })).toThrow(/"total" is reserved/);
    expect(() => registry().register({ ...brevity, name: 'answer' })).toThrow(/a reward named "answer" is already registered/);
    expect(() => registry().register({ ...brevity, defaultWeight: Number.NaN })).toThrow(/reward "brevity": defaultWeight must be a finite number, got NaN/);
    expect(() => registry().register({ ...brevity, score: undefined as never })).toThrow(RewardRegistryError);
  });

  it('refuses presets and weights naming unknown rewards, and gates of gates', () => {
    expect(() => registry().registerPreset({ name: 'mine', description: '', weights: { brevity: 1 } })).toThrow(/preset "mine": no reward named "brevity"; registered: consistency, answer, location, type/);
    expect(() => registry().registerPreset({ name: 'paper', description: '' })).toThrow(/preset named "paper" is already registered/);
    expect(() => registry().registerPreset({ name: 'chain', description: '', gates: { type: 'location', location: 'answer' } })).toThrow(/"type" is gated by "location", which is gated itself/);
    expect(() => registry().scorer({ weights: { typo: 1 } })).toThrow(/weights: no reward named "typo"/);
    expect(() => registry().scorer({ weights: { type: Number.POSITIVE_INFINITY } })).toThrow(/weight of "type" must be a finite number/);
    expect(() => registry().scorer({ preset: 'papr' })).toThrow(/no reward preset named "papr"; registered: paper, reference/);
    expect(() => registry().scorer({ gridSize: 0 })).toThrow(/gridSize must be a whole number ≥ 1, got 0/);
  });

  it('refuses a reward that returns the wrong count, a non-number or a non-list', () => {
    const returning = (values: unknown) => registry().register({ ...brevity, score: () => values as number[] }).scorer();
    expect(() => returning([1, 1]).scoreSync([rightNo], [NO])).toThrow(/reward "brevity": returned 2 values for 1 completions/);
    expect(() => returning([Number.NaN]).scoreSync([rightNo], [NO])).toThrow(/reward "brevity": value 0 is NaN, not a finite number/);
    expect(() => returning(['1']).scoreSync([rightNo], [NO])).toThrow(RewardValueError);
    expect(() => returning(1).scoreSync([rightNo], [NO])).toThrow(/returned number, not a list of numbers/);
  });

  it('refuses batches whose lists differ in length', () => {
    const scorer = registry().scorer();
    expect(() => scorer.scoreSync([rightNo], [NO, NO])).toThrow(/got 1 completions but 2 solutions/);
    expect(() => scorer.scoreSync([rightNo], [NO], [{}, {}])).toThrow(/got 1 completions but 2 extras/);
  });
});
