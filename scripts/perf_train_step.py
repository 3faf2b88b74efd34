#!/usr/bin/env python3
# Groups a `perf record` profile of `softprompt bench train-step` by what the step spends its time on
# (docs/PERFORMANCE.md, "Where the rest of the bf16 step goes"): CPU samples per item and their share
# of the step's samples (start-up work: the peak loops, the synthetic checkpoint, the weight
# conversion, left out of the share). Spin-waits count as CPU time; they show as the self time of the
# function the pool's wait loop is inlined into. Several profiles give one column each.
# Usage: perf record -F 499 -g -o step.perf softprompt bench train-step --torch-dtype bfloat16 \
#            --no-reference --steps 2 --threads 2
#        scripts/perf_train_step.py step.perf [other.perf …]   (needs perf on PATH)
import sys, re, subprocess
def rows(f):
    out = subprocess.run(['perf','report','-i',f,'--no-children','--sort','symbol','-g','none','--stdio','-n','--percent-limit','0'],capture_output=True,text=True).stdout
    for line in out.splitlines():
        m = re.match(r'\s+([\d.]+)%\s+(\d+)\s+\[(.)\]\s+(.*)', line)
        if m: yield int(m.group(2)), m.group(3), re.sub(r'(\s+-)+\s*$', '', m.group(4).strip())
cats = [
 ('setup (peak loops, synthetic checkpoint, weight conversion)', r'sp_bf16_dp_loop|sp_fma_loop|Peak|SyntheticCheckpoint|WeightC4rows|WeightC9converted|ConvertO9f32ToBF16|sp_read_sum'),
 ('bf16 GEMM micro-kernel + A packing (Linears, LM head)', r'^sp_bf16_gemm_packed|^sp_bf16_gemm$'),
 ('bf16 GEMM B packing', r'^pack_b$|sp_bf16_pack_b'),
 ('attention products: OpenBLAS sgemm', r'sgemm|SKYLAKEX'),
 ('attention products: bf16 GEMM (sp_bf16_gemm_ff)', r'sp_bf16_gemm_ff|^tile_any|pack_b_f32|pack_a_t'),
 ('thread-pool waits (the caller\'s spin loop inlined in LinearBF16.gemm/forward/backwardInput, ThreadPool)', r'LinearBF16O4gemm|LinearBF16O7forward|LinearBF16O13backwardInput|ThreadPoolC3run|ThreadPoolC7threads'),
 ('softmax / exp / attention row work', r'AttentionO4Rows|Attention.*Plan|RowMathO3max|ParallelO8forRange.*Attention|AttentionO7forward|AttentionO8backward|Softmax'),
 ('LayerNorm forward/backward', r'LayerNorm'),
 ('GELU forward/backward', r'Visitor'),
 ('bf16 rounding passes (residual/norm outputs)', r'round_bf16|roundHidden|roundToBF16'),
 ('saved-activation narrowing/widening (with their pool waits)', r'f32_to_bf16|sp_f32_to_bf16|BF16ComputeO5widen|BF16ComputeO6narrow'),
 ('memmove/memset (key gathering, copies, first-step clearing)', r'memmove|memset'),
 ('cross-entropy', r'CrossEntropy'),
 ('AdamW', r'AdamW'),
 ('kernel: page faults and clearing (first step)', r'page|clear_page|do_anonymous|handle_mm|folio|memcg|lru|alloc_pages|zap|rmqueue'),
]
def classify(f):
    tot = 0; acc = {c[0]:0 for c in cats}; other = {}
    for n, kind, sym in rows(f):
        tot += n
        for name, rx in cats:
            if re.search(rx, sym): acc[name] += n; break
        else: other[sym] = other.get(sym, 0) + n
    return tot, acc, other
res = [classify(f) for f in sys.argv[1:]]
setup = cats[0][0]
print('| item | ' + ' | '.join(sys.argv[1:]) + ' |')
for name, _ in cats:
    print('| %s | %s |' % (name, ' | '.join('%d (%.1f %%)' % (a[name], 100*a[name]/(t - (a[setup] if name != setup else 0)) if name != setup else 100*a[name]/t) for t, a, o in res)))
for t, a, o in res:
    step = t - a[setup]
    top = sorted(o.items(), key=lambda x: -x[1])[:12]
    print('step samples', step, 'other', sum(o.values()), '%.1f %%' % (100*sum(o.values())/step))
    for s, n in top: print('   ', n, s[:110])
