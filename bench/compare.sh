#!/usr/bin/env bash
# The comparison lives in benches/ (beside the divan micro-benchmarks);
# this is the name issue 8 asked for.
exec "$(dirname "$0")/../benches/compare.sh" "$@"
