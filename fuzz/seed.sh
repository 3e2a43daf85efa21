#!/usr/bin/env bash
# Builds the seed corpora: every snapshot of tests/corpus and tests/fixtures for the
# snapshot target, every bucket policy inside them for the policy and merge targets,
# and the sample events in events/ for the event target.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/policy corpus/snapshot corpus/merge corpus/event
for file in ../tests/corpus/*.snapshot.json ../tests/fixtures/*.snapshot.json; do
    name=$(basename "$file" .snapshot.json)
    cp "$file" "corpus/snapshot/$name"
    python3 - "$file" "corpus/policy/$name" <<'PY'
import json, sys
snapshot = json.load(open(sys.argv[1]))
policy = snapshot.get("GetBucketPolicy", {}).get("Policy")
if policy:
    open(sys.argv[2], "w").write(policy)
PY
done
for file in ../tests/corpus/*.merge.json; do
    name=$(basename "$file" .merge.json)
    python3 - "$file" "corpus/policy/merge-$name" <<'PY'
import json, sys
case = json.load(open(sys.argv[1]))
if case.get("existing_policy"):
    open(sys.argv[2], "w").write(json.dumps(case["existing_policy"]))
PY
done
# The merge target reads one selector byte, then a policy document.
for file in corpus/policy/*; do
    { printf '\000'; cat "$file"; } > "corpus/merge/$(basename "$file")"
done
# The event target starts from the sample events the functions are tested with.
for file in ../events/*.json; do
    cp "$file" "corpus/event/$(basename "$file" .json)"
done
echo "seeded $(ls corpus/policy | wc -l) policies, $(ls corpus/snapshot | wc -l) snapshots and $(ls corpus/event | wc -l) events"
