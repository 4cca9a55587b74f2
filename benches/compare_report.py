#!/usr/bin/env python3
"""Table, JSON and SVG plot of a benches/compare.sh run.

Usage: compare_report.py TOLKA_JSON PEERS_JSONL OUT_JSON OUT_SVG
"""
import json
import sys

tolka_path, peers_path, out_json, out_svg = sys.argv[1:5]
tolka = json.load(open(tolka_path))
peers = [json.loads(line) for line in open(peers_path) if line.strip()]
rows = {"tolka": {r["batch_size"]: r["utterances_per_s"] for r in tolka["results"]}}
latency = {"tolka": tolka["latency_ms"]["p50"]}
for r in peers:
    if r.get("peer") in ("pytorch", "onnxruntime") and "batch" in r:
        rows.setdefault(r["peer"], {})[r["batch"]] = r["sent_per_s_tok_incl"]
    if r.get("peer") in ("pytorch", "onnxruntime") and "latency_ms_p50" in r:
        latency[r["peer"]] = r["latency_ms_p50"]

batches = sorted(rows["tolka"])
print("| batch | tolka `analyze_batch` utt/s | PyTorch sent/s | ONNX Runtime sent/s "
      "| tolka ÷ PyTorch | tolka ÷ ORT |")
print("|---:|---:|---:|---:|---:|---:|")
for b in batches:
    t, p, o = rows["tolka"][b], rows.get("pytorch", {}).get(b), rows.get("onnxruntime", {}).get(b)
    ratio = lambda x: f"{t / x:.2f}×" if x else "n/a"
    print(f"| {b} | {t:.1f} | {p or 'n/a'} | {o or 'n/a'} | {ratio(p)} | {ratio(o)} |")
print()
print("| single-utterance latency p50 | tolka | PyTorch | ONNX Runtime |")
print("|---|---:|---:|---:|")
print(f"| ms | {latency['tolka']:.2f} | {latency.get('pytorch', 'n/a')} "
      f"| {latency.get('onnxruntime', 'n/a')} |")
print(f"\ntolka peak RSS {tolka['peak_rss_mb']:.0f} MB, cold start {tolka['cold_start_ms']:.0f} ms")
json.dump({"throughput": rows, "latency_ms_p50": latency, "tolka": tolka},
          open(out_json, "w"), indent=1)

# Throughput against batch size, log2 x axis.
W, H, L, R, T, B = 560, 320, 60, 150, 20, 40
ymax = max(v for r in rows.values() for v in r.values()) * 1.1
xs = {b: L + (W - L - R) * i / max(len(batches) - 1, 1) for i, b in enumerate(batches)}
y = lambda v: T + (H - T - B) * (1 - v / ymax)
colors = {"tolka": "#d62728", "onnxruntime": "#1f77b4", "pytorch": "#7f7f7f"}
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
