#!/usr/bin/env python3
"""Tables, JSON and SVG plot of a benches/compare.sh run.

Usage: compare_report.py PEERS_JSONL OUT_JSON OUT_SVG TOLKA_JSON...  (one `tolka bench
--json` per precision asked for; a run whose reported precision an earlier one already had,
e.g. int8 on a CPU without VNNI, is left out)
"""
import json
import sys

peers_path, out_json, out_svg = sys.argv[1:4]
tolka = {}
for path in sys.argv[4:]:
    t = json.load(open(path))
    tolka.setdefault(t["precision"], t)
peers = [json.loads(line) for line in open(peers_path) if line.strip()]
rows, latency = {}, {}
for precision, t in tolka.items():
    # The bench reports the precision that ran (f32 where the CPU lacks the instructions).
    name = f"tolka {t['precision']}"
    rows[name] = {r["batch_size"]: r["utterances_per_s"] for r in t["results"]}
    latency[name] = t["latency_ms"]
PEERS = ("pytorch", "onnxruntime", "onnxruntime-fused", "onnxruntime-int8")
for r in peers:
    if r.get("peer") in PEERS and "batch" in r:
        rows.setdefault(r["peer"], {})[r["batch"]] = r["sent_per_s_tok_incl"]
    if r.get("peer") in PEERS and "latency_ms_p50" in r:
        latency[r["peer"]] = {"p50": r["latency_ms_p50"], "p95": r.get("latency_ms_p95")}

ours = [n for n in rows if n.startswith("tolka")]
batches = sorted(rows[ours[0]])


def best_f32_peer(b):
    """The faster ONNX Runtime f32 graph at batch b (plain or BERT-fused)."""
    return max((rows.get(p, {}).get(b) or 0 for p in ("onnxruntime", "onnxruntime-fused")),
               default=0) or None


# Each tolka precision against its fair peer: f32 and f16 (float arithmetic, f16 weights)
# against the best ONNX Runtime f32 graph, int8 against ONNX Runtime's own dynamic int8.
peer_of = {n: ((lambda b: rows.get("onnxruntime-int8", {}).get(b)) if n == "tolka int8"
               else best_f32_peer) for n in ours}
peer_name = {n: "ORT int8" if n == "tolka int8" else "best ORT f32" for n in ours}
shown = [p for p in PEERS if p in rows]
print("| batch | " + " | ".join(f"{n} utt/s" for n in ours) + " | "
      + " | ".join(f"{p} sent/s" for p in shown) + " | "
      + " | ".join(f"{n} ÷ {peer_name[n]}" for n in ours) + " |")
print("|---:|" + "---:|" * (len(ours) + len(shown) + len(ours)))
for b in batches:
    cells = [f"{rows[n][b]:.1f}" for n in ours]
    cells += [f"{rows[p][b]:.1f}" if b in rows[p] else "n/a" for p in shown]
    cells += [f"{rows[n][b] / peer_of[n](b):.2f}×" if peer_of[n](b) else "n/a" for n in ours]
    print(f"| {b} | " + " | ".join(cells) + " |")
best = {n: max(r.values()) for n, r in rows.items()}
print("\nbest batch size: " + ", ".join(f"{n} {v:.1f}" for n, v in best.items()))
for n in ours:
    peer_best = max((peer_of[n](b) or 0 for b in batches), default=0)
    if peer_best:
        print(f"- {n} ÷ {peer_name[n]}: batch 1 {rows[n][1] / peer_of[n](1):.2f}×, "
              f"best batch {best[n] / peer_best:.2f}×")
print()
print("| single-utterance latency | " + " | ".join(latency) + " |")
print("|---|" + "---:|" * len(latency))
for q in ("p50", "p95"):
    cells = [f"{v[q]:.2f}" if v.get(q) is not None else "n/a" for v in latency.values()]
    print(f"| {q} ms | " + " | ".join(cells) + " |")
print()
for n, t in zip(ours, tolka.values()):
    print(f"{n}: peak RSS {t['peak_rss_mb']:.0f} MB, cold start {t['cold_start_ms']:.0f} ms")
json.dump({"throughput": rows, "latency_ms": latency, "tolka": tolka},
          open(out_json, "w"), indent=1)

# Throughput against batch size, log2 x axis.
W, H, L, R, T, B = 580, 320, 60, 170, 20, 40
ymax = max(v for r in rows.values() for v in r.values()) * 1.1
xs = {b: L + (W - L - R) * i / max(len(batches) - 1, 1) for i, b in enumerate(batches)}
y = lambda v: T + (H - T - B) * (1 - v / ymax)
colors = {"tolka f32": "#d62728", "tolka f16": "#e377c2", "tolka int8": "#ff7f0e", "onnxruntime": "#1f77b4",
          "onnxruntime-fused": "#17becf", "onnxruntime-int8": "#9467bd", "pytorch": "#7f7f7f"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
       f'font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
       f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
       f'<text x="{(L + W - R) / 2}" y="{H - 8}" text-anchor="middle">batch size</text>',
       f'<text x="14" y="{(T + H - B) / 2}" text-anchor="middle" '
       f'transform="rotate(-90 14 {(T + H - B) / 2})">utterances / s</text>']
for b, x in xs.items():
    svg.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{b}</text>')
step = 10 ** len(str(int(ymax / 5))) // 10 or 1
for v in range(0, int(ymax) + 1, max(step * round(ymax / 5 / step), 1)):
    svg.append(f'<text x="{L - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    svg.append(f'<line x1="{L}" y1="{y(v):.1f}" x2="{W - R}" y2="{y(v):.1f}" stroke="#eee"/>')
for i, (name, r) in enumerate(rows.items()):
    pts = " ".join(f"{xs[b]:.1f},{y(r[b]):.1f}" for b in batches if b in r)
    c = colors.get(name, "black")
    svg.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
    for b in batches:
        if b in r:
            svg.append(f'<circle cx="{xs[b]:.1f}" cy="{y(r[b]):.1f}" r="3" fill="{c}"/>')
    svg.append(f'<text x="{W - R + 12}" y="{T + 16 + 18 * i}" fill="{c}">{name}</text>')
svg.append("</svg>")
open(out_svg, "w").write("\n".join(svg) + "\n")
