import json, sys
# exits non-zero when the edge sets differ or a score is off by more than 1e-5 of the largest |score|
# usage: compare.py JAVA_JSON REF_JSON
j, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
only_j, only_r = sorted(set(j) - set(r)), sorted(set(r) - set(j))
common = sorted(set(j) & set(r))
scale = max(abs(r[e]) for e in common)
worst = max(common, key=lambda e: abs(j[e] - r[e]))
d = abs(j[worst] - r[worst])
print(f"edges java={len(j)} ref={len(r)} common={len(common)} only_java={only_j[:5]}{'...' if len(only_j)>5 else ''} only_ref={only_r[:5]}{'...' if len(only_r)>5 else ''}")
print(f"max|score|={scale:.6g} max|diff|={d:.3g} rel={d/scale:.3g} worst edge {worst}: java={j[worst]:.8g} ref={r[worst]:.8g}")
if only_j or only_r or d / scale > 1e-5:
    sys.exit("FAILED: edge sets differ or the scores disagree beyond 1e-5 of the largest")
