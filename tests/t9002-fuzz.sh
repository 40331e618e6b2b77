#!/bin/sh
# The configuration parser, key checks and plan, uml_net's policy parser
# and address checks, export, import, and an instance's frame decoder,
# under libFuzzer with ASan and UBSan, for
# FUZZ_TIME seconds per target: no crash, leak or undefined behaviour.
# Skipped where configure found no clang with libFuzzer.
. "$TEST_SRCDIR/libtest.sh"

targets=
for f in "$TEST_BUILDDIR"/fuzz/fuzz_*; do
	case $f in *.*) continue ;; esac
	[ -x "$f" ] && targets="$targets $f"
done
[ -n "$targets" ] || skip_all "no fuzz targets (configure found no clang with libFuzzer)"

for target in $targets; do
	name=${target##*/fuzz_}
	seeds=$TEST_SRCDIR/fuzz/corpus/$name
	# New inputs go to a scratch corpus, never into the source tree.
	mkdir -p "$TEST_TMP/corpus-$name"
	check "$name: the seed corpus is there" test -d "$seeds"
	"$target" -max_total_time="${FUZZ_TIME:-30}" -timeout=10 \
	    -rss_limit_mb=1024 -artifact_prefix="$TEST_TMP/" \
	    "$TEST_TMP/corpus-$name" "$seeds" >"fuzz-$name.log" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q '^Done [0-9]* runs' "fuzz-$name.log"; then
		ok "$name: $(grep -o '^Done [0-9]* runs' "fuzz-$name.log") without a finding"
	else
		not_ok "$name: the fuzzer stopped with status $rc"
		show "fuzz-$name.log" 60
		for crash in crash-* leak-* timeout-* oom-*; do
			[ -f "$crash" ] || continue
			echo "# input $crash, base64:"
			base64 "$crash" | sed 's/^/#   /'
		done
	fi
done
finish
