#!/bin/sh
# What makes `rootstrap run` and a boot quick, seen from outside: the
# builder (UML's init) starts without a dynamic loader; a stdin with
# nothing in it (/dev/null, closed) is not relayed, so the command's stdin
# is the guest's /dev/null, while a pipe still reaches the command; the
# kernel's delay-loop calibration, learnt from one boot, is given to the
# next ones, which skip it.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"

check "the builder has no program interpreter" sh -c \
    "! readelf -l '$ROOTSTRAP_LIBEXECDIR/builder' | grep -q 'program interpreter'"

"$ROOTSTRAP" run -S "$img" -- readlink /proc/self/fd/0 </dev/null >out 2>err
check "stdin /dev/null: the command's stdin is the guest's /dev/null" \
    test "$(cat out)" = /dev/null
"$ROOTSTRAP" run -S "$img" -- readlink /proc/self/fd/0 <&- >out 2>err
check "stdin closed: the command's stdin is the guest's /dev/null" \
    test "$(cat out)" = /dev/null
echo x | "$ROOTSTRAP" run -S "$img" -- sh -c \
    'readlink /proc/self/fd/0; cat' >out 2>err
check "stdin a pipe: relayed, its bytes read (got $(tr '\n' ' ' <out))" \
    sh -c 'grep -q "^pipe:" out && tail -n 1 out | grep -qx x'

# The first run learns the calibration (if no earlier test did); the
# next one is given it and says so.
"$ROOTSTRAP" run -S "$img" -- true </dev/null >out 2>err
"$ROOTSTRAP" run -v -S "$img" -- true </dev/null >out 2>err
has "Calibrating delay loop (skipped) preset value" err
lpj=$(sed -n 's/^Kernel command line: .* lpj=\([0-9]*\) .*/\1/p' err)
check "the kernel got lpj=$lpj, the calibration its probe keeps" \
    grep -qx "lpj ${lpj:-none}" "$XDG_CACHE_HOME"/rootstrap/kernels/probe-*

nothing_left .
finish
