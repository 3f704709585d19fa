import { oursMoeStep } from './moe-step.js';
import { time } from './util.js';
const step = await oursMoeStep(process.argv[2] ?? 'wasm');
for (let i = 0; i < 3; i++) console.log(await time(step, { budgetMs: 3000, maxReps: 21, warmup: 3 }));
