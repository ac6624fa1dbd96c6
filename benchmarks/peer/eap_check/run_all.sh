#!/bin/bash
# Our head-level EAP and EAP-IG(5) against the independent float64 reference (../shared/peer/eap_reference.py) on the
# four tiny fixture families; prints, per family and method, the edges compared and the largest difference relative
# to the largest |score| (about 1e-6 expected: we run float32). Needs python3 with torch and a built
# benchmarks/target/benchmarks.jar. Usage, from the repository root: bash benchmarks/peer/eap_check/run_all.sh [WORKDIR]
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
JAR=$ROOT/benchmarks/target/benchmarks.jar
M=$ROOT/../shared/fixtures/models
REF=$ROOT/../shared/peer/eap_reference.py
W=${1:-$(mktemp -d)}
mkdir -p "$W"
for f in gpt-neo-tiny gpt2-tiny llama-tiny qwen2-tiny; do
  /usr/bin/python3 "$HERE/make_pairs.py" "$W/pairs_$f.json" 7
  for ig in 0 5; do
    tag=$([ $ig = 0 ] && echo eap || echo ig$ig)
    java -XX:ActiveProcessorCount=1 --add-modules jdk.incubator.vector -cp "$JAR" "$HERE/Check.java" "$M/$f" "$W/pairs_$f.json" \
        "$W/java_${f}_$tag.json" $ig 2>&1 | grep -v -i "warning" || true
    /usr/bin/python3 "$REF" "$M/$f" "$W/pairs_$f.json" "$W/ref_${f}_$tag.json" --threads 1 $([ $ig = 0 ] || echo --ig-steps $ig) | tail -1
    /usr/bin/python3 "$HERE/compare.py" "$W/java_${f}_$tag.json" "$W/ref_${f}_$tag.json"
  done
done
