#!/bin/sh
# User modules: found on modulepath, run inside the guest with the
# documented environment; one that fails makes rootstrap fail and name it,
# and an existing image is left as it was.
. "$TEST_SRCDIR/libtest.sh"

mkdir mods
cat >mods/envdump <<'MOD'
#!/bin/sh
# Show the contract: config keys, ROOTSTRAP_* and where we run.
echo "envdump: module=$ROOTSTRAP_MODULE device=$ROOTSTRAP_DEVICE"
echo "envdump: target=$ROOTSTRAP_TARGET workdir=$ROOTSTRAP_WORKDIR pwd=$(pwd)"
echo "envdump: greeting=$greeting fstype=$fstype mem=$mem"
echo "envdump: image=$ROOTSTRAP_IMAGE"
echo "envdump: uid=$(id -u) pid1=$(cat /proc/1/comm)"
# Only the run directory is writable; the host's files are not.
touch "$ROOTSTRAP_RUNDIR/written" && echo "envdump: rundir writable"
touch "$ROOTSTRAP_WORKDIR/escape" 2>/dev/null || echo "envdump: workdir read-only"
# The image is mounted where the contract says.
grep -q " $ROOTSTRAP_TARGET " /proc/mounts && echo "envdump: target mounted"
MOD
cat >mods/failer <<'MOD'
#!/bin/sh
echo "failer: about to fail"
exit 3
MOD
cat >mods/never <<'MOD'
#!/bin/sh
echo "never: ran"
MOD
chmod +x mods/*

# A successful pipeline with a user module between stock ones.
conf_fast mkfs mount envdump umount >rootstrap.conf
cat >>rootstrap.conf <<'CONF'
modulepath=mods
fstype=ext2
[envdump]
greeting=hello world
fstype=ext3
CONF
run_status 0 "$ROOTSTRAP" -o ok.log img
has "rootstrap-builder: module envdump from $TEST_TMP/mods/envdump" ok.log
has "envdump: module=envdump device=/dev/ubda" ok.log
has "envdump: target=/run/target workdir=$TEST_TMP pwd=$TEST_TMP" ok.log
has "envdump: greeting=hello world fstype=ext3 mem=128M" ok.log
has "envdump: image=$TEST_TMP/.img.rootstrap-" ok.log
has "envdump: uid=0 pid1=builder" ok.log
has "envdump: rundir writable" ok.log
has "envdump: workdir read-only" ok.log
has "envdump: target mounted" ok.log
check "the module could not write into the host's files" test ! -e escape
check "the image is ext2 as [global] said" test "$(blkid -o value -s TYPE img)" = ext2

# A failing module: named, non-zero exit, later modules skipped.
echo "precious" >img
conf_fast mkfs mount failer never umount >rootstrap.conf
echo "modulepath=$TEST_TMP/mods" >>rootstrap.conf
fails_with 1 "rootstrap: module 'failer' failed with exit status 3" \
    "$ROOTSTRAP" -o fail.log img
has "failer: about to fail" fail.log
hasnt "never: ran" fail.log
check "the existing image is untouched" test "$(cat img)" = precious
nothing_left .

# A module that is not executable is refused before anything runs.
chmod -x mods/never
conf_fast mkfs never >rootstrap.conf
echo "modulepath=mods" >>rootstrap.conf
fails_with 2 "modules: module 'never': $TEST_TMP/mods/never is not executable" \
    "$ROOTSTRAP" img2
check "no image" test ! -e img2

finish
