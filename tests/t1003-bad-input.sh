#!/bin/sh
# The catalogue of bad input. Each case asserts the exact message and exit
# status, that nothing was made at the target path (no temporary
# .target.rootstrap-* beside it, no run directory in TMPDIR) and that no
# process is left. Some cases overlap t0001, t1001 and the unit tests: here
# it is the whole command's behaviour that is asserted.
. "$TEST_SRCDIR/libtest.sh"

export TMPDIR=$TEST_TMP/tmp
mkdir "$TMPDIR"
conf_fast mkfs mount umount >rootstrap.conf
KEYS="fstype, initialsize, freespace, modules, PATH, umlargs, http_proxy, https_proxy, ftp_proxy, no_proxy, kernel, kernel_suite, kernel_check_valid_until, mem, timeout, modulepath, source_date_epoch"
DEBIAN='[global]\ninitialsize=400\nmodules=mkfs mount debian umount\n[debian]\n'

# left_clean: nothing at the target, beside it, in TMPDIR; no process.
left_clean() {
	check "nothing at the target path" test ! -e target
	check "no run directory left in TMPDIR" test -z "$(ls -A "$TMPDIR")"
	nothing_left .
}

# bad STATUS MESSAGE CONF [ARG...]: rootstrap -c case.conf ARG... target,
# where case.conf is CONF (a printf format).
bad() {
	want=$1
	msg=$2
	printf "$3" >case.conf
	shift 3
	fails_with "$want" "$msg" "$ROOTSTRAP" -c case.conf "$@" target
	left_clean
}

# Syntax.
bad 2 "case.conf:1: expected 'key = value', '[section]' or a comment" \
    'this is not a key\n'
bad 2 "case.conf:1: section header without a closing ']'" '[global\n'
bad 2 "case.conf:1: '' is outside any [section]" '=value\n'
bad 2 "case.conf:2: line longer than 199 characters (continue a long value on indented lines)" \
    "[global]\nPATH=$(printf '%0300d' 0)\n"
bad 2 "case.conf:1: expected 'key = value', '[section]' or a comment" \
    '  indented before any key\n'
bad 2 "case.conf:1: expected 'key = value', '[section]' or a comment" \
    'a\001b\n'
bad 2 "case.conf:2: expected 'key = value', '[section]' or a comment" \
    '[global]\nmodules\n'

# Unknown sections, keys and modules.
bad 2 "case.conf:2: unknown section [bogus] (not [global], a stock module or a module in modules=)" \
    '[bogus]\na=b\n'
bad 2 "case.conf:2: unknown key 'colour' in [global] (known: $KEYS)" \
    '[global]\ncolour=red\n'
bad 2 "case.conf:2: unknown key 'colour' in [uml] (known: install_modules, root_password, swap, or a [global] key)" \
    '[uml]\ncolour=red\n'
bad 2 "case.conf:2: modules: unknown module 'nosuch' (not a stock module, and not found in" \
    '[global]\nmodules=mkfs nosuch\n'
bad 2 "case.conf:2: modules: invalid module name '../x'" \
    '[global]\nmodules=../x\n'
mkdir mods
printf '#!/bin/sh\n' >mods/noexec
chmod 644 mods/noexec
bad 2 "case.conf:3: modules: module 'noexec': $TEST_TMP/mods/noexec is not executable" \
    '[global]\nmodulepath=mods\nmodules=mkfs noexec\n'
bad 2 "case.conf:2: modules: the list of modules is empty" '[global]\nmodules=\n'

# Sizes and numbers.
bad 2 "case.conf:2: fstype: invalid value 'btrfs' (one of ext2|ext3|ext4)" \
    '[global]\nfstype=btrfs\n'
bad 2 "case.conf:2: initialsize: invalid size 'huge' (a whole number of MB, greater than 0)" \
    '[global]\ninitialsize=huge\n'
bad 2 "case.conf:2: initialsize: invalid size '0' (a whole number of MB, greater than 0)" \
    '[global]\ninitialsize=0\n'
bad 2 "case.conf:2: initialsize: invalid size '-5' (a whole number of MB, greater than 0)" \
    '[global]\ninitialsize=-5\n'
bad 2 "case.conf:2: initialsize: invalid size '99999999999' (a whole number of MB, greater than 0)" \
    '[global]\ninitialsize=99999999999\n'
bad 2 "case.conf:2: freespace: invalid size '-1' (a whole number of MB)" \
    '[global]\nfreespace=-1\n'
bad 2 "case.conf:2: swap: invalid size '64M' (a whole number of MB)" \
    '[uml]\nswap=64M\n'
# Issue 14, item 5: the original's ConfigParser interpolation.
bad 2 "case.conf:2: umlargs: '%(name)s' interpolation is not supported (it was ConfigParser's): write the value itself" \
    '[global]\numlargs=mem=%%(mem)s\n'
bad 2 "case.conf:5: host_if: a tap for transport=tuntap, not transport=user" \
    '[global]\nmodules=mkfs network\n[network]\ntransport=user\nhost_if=tap0\n'
bad 2 "case.conf:7: host_if: invalid interface name 'a/b' (at most 15 characters, no '/', ':' or blank)" \
    '[global]\nmodules=mkfs network\n[network]\ntransport=tuntap\nhost=10.213.47.1\numl=10.213.47.2\nhost_if=a/b\n'
bad 2 "case.conf:2: timeout: invalid number of seconds '0'" '[global]\ntimeout=0\n'
bad 2 "case.conf:2: timeout: invalid number of seconds '1h'" '[global]\ntimeout=1h\n'
bad 2 "case.conf:2: mem: invalid memory size '1K' (e.g. 512M or 1G; at least 64M)" \
    '[global]\nmem=1K\n'
bad 2 "case.conf:2: source_date_epoch: invalid epoch 'yesterday' (whole seconds since 1970-01-01 UTC, at most 17179869183)" \
    '[global]\nsource_date_epoch=yesterday\n'
# Issue 14: any epoch ext4 can hold is a valid key (it was capped at
# 2,147,483 seconds); one more is not; the environment's is checked too and
# wins; the key is [global]'s alone. -n shows what every step is given.
bad 2 "case.conf:2: source_date_epoch: invalid epoch '17179869184' (whole seconds since 1970-01-01 UTC, at most 17179869183)" \
    '[global]\nsource_date_epoch=17179869184\n'
bad 2 "case.conf:2: source_date_epoch: only in [global] (one time for the whole build)" \
    '[uml]\nsource_date_epoch=1700000000\n'
bad 2 "case.conf:2: SOURCE_DATE_EPOCH: write it as [global] source_date_epoch= (the environment's SOURCE_DATE_EPOCH wins over it)" \
    '[global]\nSOURCE_DATE_EPOCH=1700000000\n'
export SOURCE_DATE_EPOCH=-5
bad 2 "rootstrap: SOURCE_DATE_EPOCH in the environment: invalid epoch '-5' (whole seconds since 1970-01-01 UTC, at most 17179869183)" \
    '[global]\nsource_date_epoch=1700000000\n'
unset SOURCE_DATE_EPOCH
printf '[global]\nsource_date_epoch=17179869183\n' >case.conf
"$ROOTSTRAP" -n -c case.conf target >plan.out 2>&1
check "the largest epoch is accepted" test $? -eq 0
check "the key reaches all 3 steps as SOURCE_DATE_EPOCH" \
    test "$(grep -cx '	SOURCE_DATE_EPOCH=17179869183' plan.out)" -eq 3
hasnt "source_date_epoch=" plan.out
SOURCE_DATE_EPOCH=1700000000 "$ROOTSTRAP" -n -c case.conf target >plan.out 2>&1
check "the environment's epoch wins over the key" \
    test "$(grep -cx '	SOURCE_DATE_EPOCH=1700000000' plan.out)" -eq 3
# The image cache's key (and the reproducible image's UUID, made from the
# same plan) is the epoch's, however it was given.
printf '[global]\nsource_date_epoch=1700000000\n' >case.conf
ROOTSTRAP_CACHE=$TEST_TMP/ic "$ROOTSTRAP" -n -c case.conf target |
    grep '^cache: ' >key.out
: >empty.conf
SOURCE_DATE_EPOCH=1700000000 ROOTSTRAP_CACHE=$TEST_TMP/ic "$ROOTSTRAP" -n \
    -c empty.conf target | grep '^cache: ' >env.out
SOURCE_DATE_EPOCH=1700000001 ROOTSTRAP_CACHE=$TEST_TMP/ic "$ROOTSTRAP" -n \
    -c empty.conf target | grep '^cache: ' >other.out
check "the key and the environment give one image cache key" \
    sh -c 'test -s key.out && cmp key.out env.out'
check "another epoch gives another key" sh -c '! cmp -s env.out other.out'
rm -rf "$TEST_TMP/ic"
left_clean
bad 2 "case.conf:3: uml: invalid IPv4 address '300.1.1.1'" \
    '[network]\ntransport=slirp\numl=300.1.1.1\n'
bad 2 "case.conf:2: hostname: invalid hostname 'bad_name!' (letters, digits and '-', at most 63)" \
    '[network]\nhostname=bad_name!\n'
bad 2 "case.conf:2: transport: invalid value 'carrier-pigeon' (one of slirp|tuntap|user|none)" \
    '[network]\ntransport=carrier-pigeon\n'
bad 2 "case.conf:2: install_modules: invalid value 'maybe' (one of no|yes|hostfs)" \
    '[uml]\ninstall_modules=maybe\n'
bad 2 "case.conf:5: clean: invalid boolean 'perhaps' (yes or no)" \
    "${DEBIAN}clean=perhaps\n"
bad 2 "rootstrap: -s: invalid size '0' (a whole number of MB, greater than 0)" \
    '' -s 0
bad 2 "rootstrap: -s: invalid size '99999999999' (a whole number of MB, greater than 0)" \
    '' -s 99999999999

# An image too small for the packages is refused before anything is made
# (the image is sparse: a larger initialsize costs nothing). method=host
# knows the packages' size before it makes the image, and grows it.
bad 2 "-s: initialsize: 8 MB is too small for the debian module (a minbase system needs about 300 MB while it is built; use at least 320)" \
    '[debian]\nmethod=debootstrap\n[global]\nmodules=network mkfs mount debian uml umount\n' -s 8

# Tools, suites and mirrors.
bad 2 "case.conf:3: slirp: 'nosuch-slirp' not found in PATH (apt-get install slirp)" \
    '[network]\ntransport=slirp\nslirp=nosuch-slirp\n[global]\nmodules=network mkfs\n'
bad 2 "case.conf:5: dist: unknown suite 'nosuch' (debootstrap has no script /usr/share/debootstrap/scripts/nosuch)" \
    "${DEBIAN}dist=nosuch\n"
bad 2 "case.conf:5: mirror: invalid URL 'ftp:/x' (http://, https:// or file:///)" \
    "${DEBIAN}mirror=ftp:/x\n"
bad 2 "case.conf:5: mirror: invalid URL 'notaurl' (http://, https:// or file:///)" \
    "${DEBIAN}mirror=notaurl\n"
bad 2 "case.conf:5: cache: 'rel/dir' must be an absolute path" \
    "${DEBIAN}cache=rel/dir\n"
bad 2 "case.conf:5: keyring: /nonexistent.gpg: No such file or directory" \
    "${DEBIAN}keyring=/nonexistent.gpg\n"
bad 1 "rootstrap: mirror: cannot reach http://127.0.0.1:1/debian: Failed to connect to 127.0.0.1 port 1" \
    "${DEBIAN}mirror=http://127.0.0.1:1/debian\n"
mkdir -p mirror/dists
bad 2 "rootstrap: dist: no such suite 'bookworm' on file://$TEST_TMP/mirror (file://$TEST_TMP/mirror/dists/bookworm/Release: no such file); nothing was built" \
    "${DEBIAN}mirror=file://$TEST_TMP/mirror\n"
# A mirror without the suite, on loopback (the suite's InRelease is a 404).
(cd mirror && exec "$PYTHON3" -u -m http.server --bind 127.0.0.1 0 >../http.log 2>&1) &
http=$!
i=0
while ! port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' http.log 2>/dev/null | grep .) &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
bad 2 "rootstrap: dist: no such suite 'bookworm' on http://127.0.0.1:$port/debian (http://127.0.0.1:$port/debian/dists/bookworm/Release: HTTP status 404); nothing was built" \
    "${DEBIAN}mirror=http://127.0.0.1:$port/debian\n"
kill $http
wait $http 2>/dev/null
# And the real mirror, for a suite debootstrap knows but it no longer has.
bad 2 "rootstrap: dist: no such suite 'buster' on http://deb.debian.org/debian (http://deb.debian.org/debian/dists/buster/Release: HTTP status 404); nothing was built" \
    "${DEBIAN}dist=buster\n"

# The kernel.
bad 2 "case.conf:2: kernel: /nonexistent/linux: not found (apt-get install user-mode-linux, or set kernel=)" \
    '[global]\nkernel=/nonexistent/linux\n'
printf '#!/bin/sh\n' >notexec
chmod 644 notexec
bad 2 "case.conf:2: kernel: $TEST_TMP/notexec: not found (apt-get install user-mode-linux, or set kernel=)" \
    "[global]\nkernel=$TEST_TMP/notexec\n"
cat >nohostfs <<'KERNEL'
#!/bin/sh
# A UML kernel built without hostfs: it cannot mount the host's / as root.
echo "VFS: Cannot open root device \"/dev/root\" or unknown-block(0,0): error -19"
echo "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
exit 1
KERNEL
chmod +x nohostfs
bad 1 "rootstrap: the kernel could not mount the host's / over hostfs: $TEST_TMP/nohostfs lacks hostfs (rootstrap check lists its features; apt-get install user-mode-linux, or set kernel=)" \
    "[global]\nkernel=$TEST_TMP/nohostfs\n"
bad 1 "rootstrap: /bin/true never started the builder: is it a UML kernel? (rootstrap check tests it; see the transcript)" \
    '[global]\nkernel=/bin/true\n'

# A module that fails; a configuration file that is not one.
printf '#!/bin/sh\necho failing on purpose\nexit 3\n' >mods/fail
chmod +x mods/fail
bad 1 "rootstrap: module 'fail' failed with exit status 3" \
    '[global]\nmodulepath=mods\nmodules=mkfs fail umount\n'
fails_with 2 "missing.conf: No such file or directory" "$ROOTSTRAP" -c missing.conf target
left_clean
fails_with 2 "$TEST_TMP: Is a directory while reading" "$ROOTSTRAP" -c "$TEST_TMP" target
left_clean

# [global] PATH is required (no other file to supply it).
mkdir nopath
(cd nopath && printf '[global]\nmodules=mkfs\n' >rootstrap.conf &&
    exec "$ROOTSTRAP" target) >out 2>&1
check "without PATH: exit status 2" test $? = 2
has "rootstrap: [global] PATH is required"
check "without PATH: nothing made" test -z "$(ls -A nopath | grep -v rootstrap.conf)"

# The image path.
fails_with 2 "rootstrap: the image path is empty" "$ROOTSTRAP" ""
mkdir adir
fails_with 2 "rootstrap: adir: is a directory" "$ROOTSTRAP" adir
check "the directory is untouched" test -z "$(ls -A adir)"
fails_with 2 "rootstrap: nodir: No such file or directory (the image's directory)" \
    "$ROOTSTRAP" nodir/target
fails_with 2 "rootstrap: $TEST_TMP/nofile/log: No such file or directory" \
    "$ROOTSTRAP" -o "$TEST_TMP/nofile/log" target
left_clean
mkdir rodir
if [ "$(id -u)" = 0 ]; then
	# root writes anywhere; a read-only bind mount in a private namespace
	# stops it as a read-only directory stops anyone else.
	fails_with 2 "rootstrap: rodir: Read-only file system (the image's directory)" \
	    unshare -m sh -c 'mount --bind rodir rodir &&
	    mount -o remount,bind,ro rodir && exec "$0" rodir/target' "$ROOTSTRAP"
else
	chmod 555 rodir
	fails_with 2 "rootstrap: rodir: Permission denied (the image's directory)" \
	    "$ROOTSTRAP" rodir/target
fi
check "nothing in the read-only directory" test -z "$(ls -A rodir)"
nothing_left rodir

# A path with spaces and quotes works.
mkdir "a dir"
run_status 0 "$ROOTSTRAP" -o build.log "a dir/it's \"quoted\".img"
check "the image was made at a path with spaces and quotes" \
    e2fsck -fn "a dir/it's \"quoted\".img"
nothing_left "a dir"

# An existing image is replaced only by a finished build.
printf 'the old image\n' >target
printf '[global]\nmodulepath=mods\nmodules=mkfs fail umount\n' >case.conf
fails_with 1 "rootstrap: module 'fail' failed with exit status 3" \
    "$ROOTSTRAP" -c case.conf target
check "a failed build leaves the old image intact" \
    test "$(cat target)" = "the old image"
printf '[global]\nfstype=xfs\n' >case.conf
fails_with 2 "case.conf:2: fstype: invalid value 'xfs' (one of ext2|ext3|ext4)" \
    "$ROOTSTRAP" -c case.conf target
check "a refused build leaves the old image intact" \
    test "$(cat target)" = "the old image"
nothing_left .
run_status 0 "$ROOTSTRAP" -o build.log target
check "a finished build replaces it" e2fsck -fn target
rm -f target

# UML cannot map its memory in a noexec TMPDIR: said before anything runs.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	mkdir nx
	fails_with 1 "rootstrap: $TEST_TMP/nx is mounted noexec, but UML maps its memory there executable; set TMPDIR to a directory on an exec-able filesystem; nothing was built" \
	    unshare -m sh -c 'mount -t tmpfs -o noexec,size=16m none "$1/nx" &&
	    TMPDIR=$1/nx exec "$0" target' "$ROOTSTRAP" "$TEST_TMP"
	left_clean
else
	ok "# SKIP noexec TMPDIR: needs root for a private mount namespace"
fi

finish
