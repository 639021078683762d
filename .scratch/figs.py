import sys
from bench.store import results
df = results.load(sys.argv[1])
df = df[df.status == "ok"].sort_values(["arch", "augment"])
cols = ["arch","augment","test_accuracy","float32_accuracy","float32_accuracy_change","float16_accuracy","dynamic_int8_accuracy","int8_accuracy","int8_accuracy_change","int8_changed","float32_bytes","int8_bytes","int8_peak_activation_bytes","float32_p50_ms","int8_p50_ms","int8_p99_ms","wall_seconds"]
print("| arch | aug | Keras acc | f32 LiteRT | f16 | dyn int8 | int8 | int8 change (pts) | int8 changed | f32 KB | int8 KB | int8 RAM KB | f32 p50 ms | int8 p50 ms |")
print("|"+"---|"*14)
for _, r in df.iterrows():
    print(f"| {r.arch} | {'on' if r.augment else 'off'} | {r.test_accuracy:.4f} | {r.float32_accuracy:.4f} | {r.float16_accuracy:.4f} | {r.dynamic_int8_accuracy:.4f} | {r.int8_accuracy:.4f} | {100*r.int8_accuracy_change:+.2f} | {int(r.int8_changed)} | {r.float32_bytes/1024:,.0f} | {r.int8_bytes/1024:,.0f} | {r.int8_peak_activation_bytes/1024:,.1f} | {r.float32_p50_ms:.3f} | {r.int8_p50_ms:.3f} |")
print("total wall s", df.wall_seconds.sum())
