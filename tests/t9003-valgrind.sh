#!/bin/sh
# The host process under valgrind (children not traced) through a fast
# real build, an export and an import: no memory errors and no definite
# leaks. Skipped without valgrind.
. "$TEST_SRCDIR/libtest.sh"

command -v valgrind >/dev/null || skip_all "valgrind is not installed"

vg() {
	log=$1
	shift
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
	    --error-exitcode=99 --trace-children=no --log-file="$log" "$@"
}

# clean: the valgrind log is there (valgrind ran) and reports no error and
# no definite leak.
clean() {
	if [ ! -f "$1" ]; then
		not_ok "no valgrind log $1: valgrind did not run for $2"
	elif [ -s "$1" ]; then
		not_ok "valgrind found problems in $2"
		show "$1" 60
	else
		ok "valgrind: no errors and no definite leaks in $2"
	fi
}

# The uml module edits what a Debian system has; seed the least of it.
mkdir mods
cat >mods/seed <<'MOD'
#!/bin/sh
set -e
mkdir -p "$ROOTSTRAP_TARGET/etc"
printf 'root:*:19000:0:99999:7:::\n' >"$ROOTSTRAP_TARGET/etc/shadow"
MOD
chmod +x mods/seed
conf_fast mkfs mount seed uml umount >rootstrap.conf
printf 'freespace=8\nmodulepath=mods\n' >>rootstrap.conf
# With an image cache: the first build stores, the second reuses.
export ROOTSTRAP_CACHE=$TEST_TMP/cache
run_status 0 vg build.vg "$ROOTSTRAP" -o build.log img
clean build.vg "a build"
run_status 0 vg again.vg "$ROOTSTRAP" -o again.log img
clean again.vg "a build from the image cache"
has "reused the cached image" again.log
ROOTSTRAP_CACHE=
check "the build made a clean filesystem" e2fsck -fn img
has "rootstrap: module uml: ok" build.log
has "shrunk to" build.log

run_status 0 vg export.vg "$ROOTSTRAP" export img img.tar.gz
clean export.vg "an export"
check "the export holds the uml module's fstab" sh -c 'tar -xOzf img.tar.gz ./etc/fstab | grep -q /dev/ubda'

run_status 0 vg import.vg "$ROOTSTRAP" import -o import.log img.tar.gz img2
clean import.vg "an import"
check "the imported image is a clean filesystem" e2fsck -fn img2
check "the imported image holds the fstab" sh -c "debugfs -R 'cat /etc/fstab' img2 2>/dev/null | grep -q /dev/ubda"

run_status 0 vg dry.vg "$ROOTSTRAP" -n img3
clean dry.vg "a dry run"
nothing_left .
finish
