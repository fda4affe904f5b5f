#!/usr/bin/env bash
# SST's platform and AWS provider, installed offline from the npm registry (no Bun, no AWS
# account). The registry can drop a fetch now and then: one more try before giving up.
set -uo pipefail
export SST_NO_BUN=1 SST_SKIP_DEPENDENCY_CHECK=true SST_TELEMETRY_DISABLED=1
for try in 1 2; do
  sst install --stage ci && exit 0
  echo "sst install failed (try $try of 2)" >&2
done
exit 1
