#!/bin/sh
# Run the example project's suite under stestr with leak checks on, then
# summarise every leak with `mocktools leaks`.  See README.rst.
cd "$(dirname "$0")" || exit 2
export MOCKTOOLS_LEAK_MODE=fail
python3 -m stestr run --concurrency 2
python3 -m stestr last --subunit | python3 -m mocktools leaks
status=$?
echo
if [ "$status" -eq 1 ]; then
    echo "mocktools leaks exited 1: leaks found -- the ones test_leaky.py makes on purpose."
    exit 0
fi
echo "mocktools leaks exited $status (expected 1: the leaks of test_leaky.py)"
exit 1
