#!/bin/sh
# Runs the test suites. Usage: scripts/check.sh [unit|integration|e2e|fuzz|all]
# Unit and integration tests run against both builds (build/ and build/asan/).
set -u
what="${1:-all}"
PY=/usr/bin/python3
pass=0
fail=0
failed=""

note() {
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $1"; fi
}

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if [ "$what" = unit ] || [ "$what" = all ]; then
    for dir in build build/asan; do
        for t in $(find "$dir/tests/unit" -type f -name 'test_*' ! -name '*.d' 2>/dev/null | sort); do
            echo "== $t"
            "$t"
            note "$t" $?
        done
    done
fi

if [ "$what" = integration ] || [ "$what" = all ]; then
    for dir in build build/asan; do
        echo "== integration tests against $dir/parleyd"
        PARLEYD="$PWD/$dir/parleyd" $PY -m pytest -q -p no:cacheprovider tests/integration
        rc=$?
        [ $rc -eq 5 ] && rc=1   # "no tests collected" is a failure here
        note "integration($dir)" $rc
    done
fi

if [ "$what" = e2e ] || [ "$what" = all ]; then
    for dir in build build/asan; do
        echo "== browser end-to-end tests against $dir/parleyd"
        PARLEYD="$PWD/$dir/parleyd" sh tests/e2e/run.sh
        note "e2e($dir)" $?
    done
fi

if [ "$what" = fuzz ] || [ "$what" = all ]; then
    echo "== fuzz smoke (build/fuzz, docs/FUZZING.md)"
    sh scripts/fuzz.sh smoke
    note "fuzz" $?
fi

echo
if [ -n "$failed" ]; then echo "failed suites:$failed"; fi
echo "suites: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
