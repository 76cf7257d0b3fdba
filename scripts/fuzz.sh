#!/bin/sh
# Runs the libFuzzer harnesses built by `make V=fuzz fuzz-bins` (docs/FUZZING.md).
#   scripts/fuzz.sh run [NAME...]    each harness for $FUZZ_RUNS executions (default 200000),
#                                    growing build/fuzz/fuzz/corpus/NAME from fuzz/corpus/NAME
#   scripts/fuzz.sh smoke [NAME...]  replays fuzz/regress/NAME/*, then $FUZZ_SMOKE_RUNS (20000)
#                                    executions from the seeds (make check)
# Crashing inputs go to build/fuzz/fuzz/crashes/. Leak checks (a heap scan per input) are off while
# mutating; regression inputs and, after a run, the grown corpus are replayed with them on.
# Exit status: 0 if no harness found a problem.
set -u
mode="${1:-smoke}"
[ $# -gt 0 ] && shift
names="${*:-$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//' | sort)}"
BIN=build/fuzz/fuzz
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export FUZZ_WEB_ROOT="$PWD/web"
mkdir -p "$BIN/crashes"
fail=0
summary=""
for n in $names; do
    short=${n#fuzz_}
    seeds="fuzz/corpus/$short"
    regress="fuzz/regress/$short"
    if [ ! -x "$BIN/$n" ]; then echo "fuzz: $BIN/$n is not built (make V=fuzz fuzz-bins)" >&2; exit 1; fi
    log="$BIN/$n.log"
    if [ "$mode" = smoke ]; then
        inputs=$(find "$regress" -type f ! -name '.*' 2>/dev/null | sort)
        if [ -n "$inputs" ]; then
            echo "== $n: replaying $(echo "$inputs" | wc -l) regression inputs"
            # shellcheck disable=SC2086
            if ! "$BIN/$n" $inputs >"$log" 2>&1; then
                tail -40 "$log"; fail=1; summary="$summary $n(regress)"; continue
            fi
        fi
        runs="${FUZZ_SMOKE_RUNS:-20000}"
        work=$(mktemp -d)
        echo "== $n: $runs executions from $seeds"
        "$BIN/$n" -runs="$runs" -max_len=4096 -timeout=20 -print_final_stats=1 -detect_leaks=0 \
            -artifact_prefix="$BIN/crashes/$short-" "$work" "$seeds" >"$log" 2>&1
        rc=$?
        rm -rf "$work"
    elif [ "$mode" = run ]; then
        runs="${FUZZ_RUNS:-200000}"
        corpus="$BIN/corpus/$short"
        mkdir -p "$corpus"
        echo "== $n: $runs executions, corpus $corpus (seeds $seeds)"
        start=$(date +%s)
        "$BIN/$n" -runs="$runs" -max_len=4096 -timeout=20 -print_final_stats=1 -detect_leaks=0 \
            -artifact_prefix="$BIN/crashes/$short-" "$corpus" "$seeds" >"$log" 2>&1
        rc=$?
        echo "   $(( $(date +%s) - start )) s"
        if [ $rc -eq 0 ]; then
            # leak checks cost a heap scan per input: once over the grown corpus, not per mutation
            echo "   replaying the corpus ($(ls "$corpus" | wc -l) inputs) with leak checks"
            "$BIN/$n" -runs=0 -detect_leaks=1 "$corpus" >"$BIN/$n.replay.log" 2>&1 ||
                { tail -60 "$BIN/$n.replay.log"; fail=1; summary="$summary $n(leaks)"; }
        fi
    else
        echo "usage: $0 run|smoke [NAME...]" >&2; exit 2
    fi
    execs=$(tr -d '\000' <"$log" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -1)
    cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1)
    echo "   executions: ${execs:-?}, ${cov:-cov: ?}, exit $rc"
    summary="$summary $n=${execs:-?}"
    if [ $rc -ne 0 ]; then tail -60 "$log"; fail=1; fi
done
echo "fuzz ($mode):$summary"
exit $fail
