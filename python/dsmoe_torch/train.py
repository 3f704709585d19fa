"""Train dsmoe's language model with torch.distributed, and write a dsmoe checkpoint.

    torchrun --nproc_per_node 2 -m dsmoe_torch.train \\
        --tokens tokens.safetensors --init run/model.safetensors --out run-torch --steps 200

(run from python/, or with python/ on PYTHONPATH). Without torchrun it trains in
one process. Each rank draws the same global batch from a generator seeded by
--seed and takes its own rows of it, so W ranks take the steps one process takes
on the same batches: DDP averages the gradients, and the routers' batch-level
terms (MI loss, Switch loss) are computed over the global batch (losses.py).
gloo on CPU, NCCL on GPU; --strategy fsdp where the torch has FSDP with
use_orig_params (2.0 and later).

The step is dsmoe's: loss → backward → clip the global gradient norm → AdamW
(betas 0.9, 0.95; decay on matrices only) at lr = schedule(step + 1), linear
warmup then cosine. At the end rank 0 evaluates the validation stream in each
--eval-modes mode (as dsmoe eval does) and writes OUT/model.safetensors, which
`dsmoe eval` and `dsmoe generate` load, and OUT/eval.json.
"""

import argparse
import json
import math
import os
import sys
import time

import torch

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint, settings_json
from .config import config_from_json
from .data import TokensError, load_tokens, random_batch
from .evaluate import evaluate
from .losses import BatchReducer, lm_loss
from .model import LanguageModel
from .routing import ModeError, mode_label, parse_mode

# dsmoe's `tiny` training preset: the defaults when neither the flags nor the --init checkpoint say.
TINY = {"batchSize": 16, "seqLen": 64, "lr": 3e-3, "minLr": 3e-4, "warmup": 30, "weightDecay": 0.01, "clip": 1.0, "evalTokens": 16384, "seed": 1}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m dsmoe_torch.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--tokens", required=True, help="token streams written by `dsmoe tokens`")
    start = p.add_mutually_exclusive_group(required=True)
    start.add_argument("--init", help="a dsmoe checkpoint to start from (model.safetensors or checkpoint.safetensors)")
    start.add_argument("--config", help="a JSON file holding a dsmoe model config, to start from fresh weights")
    p.add_argument("--out", required=True, help="folder for model.safetensors and eval.json")
    p.add_argument("--force", action="store_true", help="overwrite a model.safetensors already in --out")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch-size", type=int, help="global batch (all ranks together); must divide by the number of ranks")
    p.add_argument("--seq-len", type=int)
    for name in ("lr", "min-lr", "weight-decay", "clip"):
        p.add_argument(f"--{name}", type=float)
    p.add_argument("--warmup", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--eval-tokens", type=int)
    p.add_argument("--eval-batch-size", type=int, default=16, help="as dsmoe eval's --batch-size (default 16)")
    p.add_argument("--eval-modes", default="dense", help="comma-separated: dense, topK:K, threshold:EPS, thresholdTopK:EPS")
    p.add_argument("--attention", choices=("dense", "follow"), help="attention experts' mode in evaluation (dsmoe eval's --attention)")
    p.add_argument("--strategy", choices=("ddp", "fsdp"), default="ddp")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--log-every", type=int, default=10)
    return p.parse_args(argv)


class UsageError(ValueError):
    pass


def warmup_cosine(warmup, total, lr_max, lr_min):
    def lr(step):
        if step < warmup:
            return lr_max * step / warmup
        if step >= total:
            return lr_min
        return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))
    return lr


def settings_from(args, init_settings):
    s = dict(TINY)
    s.update({k: v for k, v in init_settings.items() if k in TINY})
    flags = {"batchSize": args.batch_size, "seqLen": args.seq_len, "lr": args.lr, "minLr": args.min_lr, "warmup": args.warmup,
             "weightDecay": args.weight_decay, "clip": args.clip, "evalTokens": args.eval_tokens, "seed": args.seed}
    s.update({k: v for k, v in flags.items() if v is not None})
    s["steps"] = args.steps
    if args.warmup is None:  # as dsmoe train: a short run keeps a tenth of itself for warmup
        s["warmup"] = min(s["warmup"], args.steps // 10)
    for k in ("steps", "batchSize", "seqLen", "evalTokens"):
        if not (isinstance(s[k], int) and s[k] >= 1):
            raise UsageError(f"--{k} must be a positive integer, got {s[k]}")
    if not (0 <= s["warmup"] <= s["steps"]):
        raise UsageError(f"--warmup {s['warmup']} must be in [0, --steps {s['steps']}]")
    if not (0 <= s["minLr"] <= s["lr"]) or s["clip"] <= 0 or s["weightDecay"] < 0:
        raise UsageError(f"need 0 ≤ --min-lr ≤ --lr, --clip > 0, --weight-decay ≥ 0; got {s['minLr']}, {s['lr']}, {s['clip']}, {s['weightDecay']}")
    s.update(evalEvery=0, checkpointEvery=0)
    return s


class Distributed:
    """Rank, world and device; a process group when torchrun started us."""

    def __init__(self, device_flag):
        import torch.distributed as dist
        self.dist = dist
        self.on = "RANK" in os.environ and "WORLD_SIZE" in os.environ
        cuda = torch.cuda.is_available() if device_flag == "auto" else device_flag == "cuda"
        if cuda and not torch.cuda.is_available():
            raise UsageError("--device cuda: torch sees no CUDA device")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if cuda:
            torch.cuda.set_device(local)
        self.device = torch.device("cuda", local) if cuda else torch.device("cpu")
        if self.on:
            backend = "nccl" if cuda else "gloo"
            if backend == "gloo" and not dist.is_gloo_available():
                raise UsageError("this torch has no gloo backend for CPU training")
            dist.init_process_group(backend)
        self.rank = dist.get_rank() if self.on else 0
        self.world = dist.get_world_size() if self.on else 1

    def mean(self, values):
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.on:
            self.dist.all_reduce(t)
        return (t / self.world).tolist()

    def close(self):
        if self.on:
            self.dist.barrier()
            self.dist.destroy_process_group()


def wrap(model, strategy, ctx):
    if not ctx.on:
        return model
    if strategy == "ddp":
        from torch.nn.parallel import DistributedDataParallel as DDP
        return DDP(model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    try:
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    except Exception as e:  # Debian's torch 1.13 under Python 3.11 fails to import it at all
        raise UsageError(f"--strategy fsdp: this torch ({torch.__version__}) cannot import FSDP ({type(e).__name__}: {e}); use --strategy ddp") from e
    import inspect
    if "use_orig_params" not in inspect.signature(FSDP.__init__).parameters:
        raise UsageError(f"--strategy fsdp needs FSDP's use_orig_params (torch 2.0 or later) to keep dsmoe's weight-decay groups; this torch is {torch.__version__}: use --strategy ddp")
    return FSDP(model, use_orig_params=True, device_id=ctx.device if ctx.device.type == "cuda" else None)


def full_state(wrapped, model, strategy, ctx):
    """The whole model's tensors on rank 0 when FSDP holds them in shards (None otherwise: the model has them)."""
    if strategy != "fsdp" or not ctx.on:
        return None
    from torch.distributed.fsdp import FullStateDictConfig, StateDictType
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    with FSDP.state_dict_type(wrapped, StateDictType.FULL_STATE_DICT, FullStateDictConfig(offload_to_cpu=True, rank0_only=True)):
        return wrapped.state_dict()


def train(args):
    ctx = Distributed(args.device)
    say = (lambda *a: print(*a, flush=True)) if ctx.rank == 0 else (lambda *a: None)
    try:
        modes = [parse_mode(m.strip()) for m in args.eval_modes.split(",")]
        out_file = os.path.join(args.out, "model.safetensors")
        if os.path.exists(out_file) and not args.force:
            raise UsageError(f"{out_file} exists: pass --force to overwrite it")
        tokens = load_tokens(args.tokens)
        if args.init:
            loaded = load_checkpoint(args.init)
            model, base_step = loaded.model, loaded.step
            if json.loads(loaded.tokenizer) != json.loads(tokens.tokenizer):
                raise UsageError(f"{args.tokens} was tokenized with a different tokenizer than {args.init} holds: write it with dsmoe tokens --run from that run")
            init_settings = json.loads(loaded.metadata.get("settings", "{}"))
        else:
            with open(args.config, encoding="utf-8") as f:
                config = config_from_json(f.read(), f"{args.config}: model config")
            base_step, init_settings = 0, {}
        s = settings_from(args, init_settings)
        if not args.init:
            torch.manual_seed(s["seed"])  # every rank builds the same initial weights (DDP broadcasts rank 0's anyway)
            model = LanguageModel(config)
        c = model.config
        for name, stream in (("train", tokens.train), ("val", tokens.val)):
            if stream.numel() and int(stream.max()) >= c.vocabSize:
                raise UsageError(f"{args.tokens}: {name} holds token id {int(stream.max())}, outside the model's vocabSize {c.vocabSize}")
        if s["seqLen"] > c.maxSeqLen:
            raise UsageError(f"--seq-len {s['seqLen']} exceeds the model's maxSeqLen {c.maxSeqLen}")
        if s["batchSize"] % ctx.world:
            raise UsageError(f"--batch-size {s['batchSize']} does not divide into {ctx.world} ranks")
        model.to(ctx.device).train()
        # Decay the matrices only (dsmoe's decayGroups), chosen by name: FSDP's parameters are flat shards.
        matrices = {n for n, p in model.named_parameters() if p.dim() >= 2}
        wrapped = wrap(model, args.strategy, ctx)
        named = [(n.replace("_fsdp_wrapped_module.", "").removeprefix("module."), p) for n, p in wrapped.named_parameters()]
        decay = [p for n, p in named if n in matrices]
        free = [p for n, p in named if n not in matrices]
        params = decay + free
        groups = [{"params": decay, "weight_decay": s["weightDecay"]}, {"params": free, "weight_decay": 0.0}]
        opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=s["lr"], betas=(0.9, 0.95), eps=1e-8)
        schedule = warmup_cosine(s["warmup"], s["steps"], s["lr"], s["minLr"])
        gen = torch.Generator().manual_seed(s["seed"])
        reducer = BatchReducer()
        per = s["batchSize"] // ctx.world
        mine = slice(ctx.rank * per, (ctx.rank + 1) * per)
        say(f"training {c.kind} ({sum(p.numel() for p in model.parameters())} parameters) on {ctx.world} {ctx.device.type} process(es), "
            f"{args.strategy if ctx.on else 'single'}, global batch {s['batchSize']}×{s['seqLen']}, {s['steps']} steps")
        t0 = time.time()
        for step in range(s["steps"]):
            inputs, targets = random_batch(tokens.train, s["batchSize"], s["seqLen"], gen)
            logits, aux = wrapped(inputs[mine].to(ctx.device))
            parts = lm_loss(c, logits, targets[mine].to(ctx.device), aux, reducer)
            opt.zero_grad(set_to_none=True)
            parts["loss"].backward()
            if args.strategy == "fsdp" and ctx.on:
                wrapped.clip_grad_norm_(s["clip"])
            else:
                torch.nn.utils.clip_grad_norm_(params, s["clip"])
            lr = schedule(step + 1)
            for g in opt.param_groups:
                g["lr"] = lr
            opt.step()
            # The DTS gate's temperature follows the steps taken (dsmoe's trainer does the same).
            model.set_trained_steps(base_step + step + 1)
            if (step + 1) % args.log_every == 0 or step + 1 == s["steps"]:
                loss, ce = ctx.mean([parts["loss"].item(), parts["ce"].item()])
                if not math.isfinite(loss):
                    raise RuntimeError(f"training diverged at step {step + 1}: loss is {loss} (try a lower --lr)")
                say(f"step {step + 1}/{s['steps']}  loss {loss:.4f}  ce {ce:.4f}  lr {lr:.2e}  {time.time() - t0:.1f}s")
        state = full_state(wrapped, model, args.strategy, ctx)
        if ctx.rank == 0:
            write(args, model, state, loaded.metadata if args.init else {}, tokens, s, base_step, modes, ctx)
    except (UsageError, CheckpointError, TokensError, ModeError, ValueError) as e:
        print(f"dsmoe_torch.train: {e}", file=sys.stderr, flush=True)
        ctx.close()
        return 2
    ctx.close()
    return 0


def write(args, model, state, init_meta, tokens, s, base_step, modes, ctx):
    """Evaluates on the validation stream and writes OUT/model.safetensors and OUT/eval.json (rank 0)."""
    c = model.config
    final = model
    if state is not None:
        final = LanguageModel(c)
        final.load_state_dict(state)
        final.set_trained_steps(base_step + s["steps"])
    final.to(ctx.device)
    rows = []
    for mode in modes:
        r = evaluate(final, tokens.val, mode, args.eval_batch_size, s["seqLen"], s["evalTokens"], args.attention, ctx.device)
        rows.append({"mode": mode, "label": mode_label(mode), **r})
        print(f"  {mode_label(mode)}: ppl {r['perplexity']:.4f} over {r['tokens']} tokens", flush=True)
    os.makedirs(args.out, exist_ok=True)
    meta = {
        "tokenizer": tokens.tokenizer,
        "step": str(base_step + s["steps"]),
        "settings": settings_json(**s),
        "corpus": tokens.corpus,
        "writer": f"dsmoe_torch (torch {torch.__version__}, {ctx.world} {ctx.device.type} process(es), {args.strategy if ctx.on else 'single'})",
    }
    final.cpu()
    save_checkpoint(os.path.join(args.out, "model.safetensors"), final, meta)
    with open(os.path.join(args.out, "eval.json"), "w", encoding="utf-8") as f:
        json.dump({"checkpoint": os.path.join(args.out, "model.safetensors"), "rows": rows}, f, indent=2)
    print(f"wrote {os.path.join(args.out, 'model.safetensors')} and eval.json", flush=True)


def main(argv=None):
    return train(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
