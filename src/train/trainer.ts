/**
 * The training step, shared by the command line (through trainLoop,
 * loop.ts), the browser demo and the lm-train benchmark:
 *
 *   batch → model.loss → backward → clip → AdamW step (lr from warmup+cosine)
 *   → one realize for loss, gradients and new parameters, in a tidy that frees
 *     the step's activations and gradients at once
 *
 * Everything random is drawn from generators whose state the checkpoint
 * saves (the batch sampler's own, and the default one that dropout uses),
 * and the learning rate is a pure function of the step, so a run stopped
 * and resumed replays exactly the steps an unbroken run would have taken.
 */
import { randomBatch, sequentialBatches, batchTensors } from '../data/batches.js';
import { AdamW } from '../nn/optim/adamw.js';
import { clipGradNorm } from '../nn/optim/clip-grad-norm.js';
import { warmupCosine, type Schedule } from '../nn/optim/schedules.js';
import { decayGroups } from '../nn/optim/param-groups.js';
import { noGrad } from '../tensor/grad-mode.js';
import { Generator, manualSeed } from '../tensor/random.js';
import { crossEntropy } from '../tensor/ops/functional.js';
import { freeResults, tidy } from '../tensor/tidy.js';
import { LanguageModel } from '../moe/lm.js';
import type { LMConfig } from '../moe/lm-config.js';
import type { TrainSettings } from './settings.js';

/** One logged step: what the training curves are drawn from. */
export interface HistoryPoint {
  step: number;
  /** The full objective, and its parts (nats per token; MI terms are summed over layers). */
  loss: number;
  ce: number;
  miFfn: number;
  miAttn: number;
  balance: number;
  lr: number;
  /** Validation cross-entropy, on the steps where it was measured. */
  valLoss?: number;
}

export class Trainer {
  readonly optimizer: AdamW;
  readonly schedule: Schedule;
  /** Draws the training windows; its state is part of a checkpoint. */
  readonly dataRng: Generator;
  step = 0;
  history: HistoryPoint[] = [];
  /** Seconds spent in steps so far (across resumes), for tokens/s. */
  seconds = 0;

  constructor(
    readonly model: LanguageModel,
    readonly settings: TrainSettings,
    readonly data: { train: Int32Array; val: Int32Array },
  ) {
    const s = settings;
    this.optimizer = new AdamW(decayGroups(model.parameters(), s.weightDecay), { lr: s.lr, betas: [0.9, 0.95], weightDecay: s.weightDecay });
    this.schedule = warmupCosine({ warmup: s.warmup, total: s.steps, lrMax: s.lr, lrMin: s.minLr });
    // The sampler's stream is seeded apart from the initialisation's, so changing one never shifts the other.
    this.dataRng = new Generator(s.seed * 7919 + 1);
  }

  get tokensPerStep(): number {
    return this.settings.batchSize * this.settings.seqLen;
  }

  /** One optimisation step on a fresh random batch. */
  async trainStep(): Promise<HistoryPoint> {
    const t0 = performance.now();
    const { batchSize, seqLen, clip } = this.settings;
    const { inputs, targets } = batchTensors(randomBatch(this.data.train, batchSize, seqLen, this.dataRng));
    this.model.train();
    const params = this.optimizer.params;
    // One tidy: the step's activations and gradients are freed as soon as the new parameters are computed.
    const [loss, ce, miFfn, miAttn, balance] = await tidy(() => {
      const out = this.model.loss(inputs, targets);
      out.loss.backward();
      clipGradNorm(params, clip);
      // The schedule's step 0 is lr 0: the first update uses schedule(1), so no step is wasted.
      this.optimizer.lr = this.schedule(this.step + 1);
      this.optimizer.step();
      return [out.loss, out.ce, out.miFfn, out.miAttn, out.balance, ...params, ...this.optimizer.stateTensors()] as const;
    });
    this.optimizer.zeroGrad();
    this.step++;
    // The DTS gate's temperature follows the steps taken (dts-gate.ts); the next step trains at it.
    this.model.setTrainedSteps(this.step);
    const point: HistoryPoint = {
      step: this.step,
      loss: await loss.item(),
      ce: await ce.item(),
      miFfn: await miFfn.item(),
      miAttn: await miAttn.item(),
      balance: await balance.item(),
      lr: this.optimizer.lr,
    };
    if (!Number.isFinite(point.loss)) throw new Error(`training diverged at step ${this.step}: loss is ${point.loss} (try a lower --lr)`);
    this.history.push(point);
    this.seconds += (performance.now() - t0) / 1000;
    return point;
  }

  /** Dense-mode validation cross-entropy (nats per token) on the first evalTokens tokens of the validation stream. */
  async validate(maxTokens = this.settings.evalTokens): Promise<number> {
    return validationLoss(this.model, this.data.val, this.settings.batchSize, this.settings.seqLen, maxTokens);
  }
}

/**
 * A trainer for a newly initialised model. The seed fixes the
 * initialisation (drawn from the default generator) and everything after it.
 */
export function newTrainer(config: LMConfig, settings: TrainSettings, data: { train: Int32Array; val: Int32Array }): Trainer {
  manualSeed(settings.seed);
  return new Trainer(new LanguageModel(config), settings, data);
}

/** Mean next-token cross-entropy over the stream's first maxTokens tokens, every token predicted once. */
async function validationLoss(model: LanguageModel, val: Int32Array, batchSize: number, seqLen: number, maxTokens = Infinity): Promise<number> {
  model.eval();
  const stream = val.subarray(0, Math.min(val.length, maxTokens + 1));
  let nats = 0;
  let count = 0;
  for (const batch of sequentialBatches(stream, batchSize, seqLen)) {
    const { inputs, targets } = batchTensors(batch);
    const sum = await tidy(() => noGrad(() => crossEntropy(model.forward(inputs).logits, targets, { reduction: 'sum' })));
    nats += await sum.item();
    freeResults(sum);
    count += targets.size;
  }
  model.train();
  return nats / Math.max(count, 1);
}
