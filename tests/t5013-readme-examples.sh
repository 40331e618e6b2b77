#!/bin/sh
# README.md's examples are the suite's: every fenced block is marked (see
# "Running the tests" there), every block marked to run is run by a test
# as written (readme_example NAME extracts it), and this test runs the
# configuration examples, the module example and the `run` examples.
# The fixture example is t5014's.
. "$TEST_SRCDIR/libtest.sh"

readme=$TEST_SRCDIR/../README.md

"$PYTHON3" "$TEST_SRCDIR/readme-example.py" "$readme" --list >examples
hasnt unmarked examples
for name in $(awk '$2 == "run" { print $1 }' examples); do
	check "example $name is run by a test" \
	    grep -lqw -- "$name" "$TEST_SRCDIR"/t*.sh
done

# `rootstrap` as the examples call it, installed: with the shipped
# system file, which the examples' files add to.
export ROOTSTRAP_SYSTEM_CONF=$TEST_SRCDIR/../conf/rootstrap.conf
mkdir bin
ln -s "$ROOTSTRAP" bin/rootstrap
PATH=$TEST_TMP/bin:$PATH

# The configuration examples: each one, in its section where the text
# shows the section's keys alone, makes a plan (-n: nothing is built).
conf_example() {	# NAME [SECTION]
	{ [ -z "${2:-}" ] || echo "[$2]"; readme_example "$1"; } >"$1.conf"
	run_status 0 rootstrap -n -c "$1.conf" "$1.img"
	check "$1 builds nothing" test ! -e "$1.img"
}
conf_example conf-trixie
has "dist=trixie"
conf_example conf-global global
conf_example conf-network network
conf_example conf-debian debian
conf_example conf-uml uml
conf_example conf-method-host
conf_example conf-tuntap
has "transport=tuntap"

# The module example: in the plan where ./rootstrap.conf puts it, and
# writing /etc/motd as it says.
mkdir -p motd/modules motd/target/etc
readme_example motd-module >motd/modules/motd
chmod +x motd/modules/motd
readme_example motd-conf >motd/rootstrap.conf
(cd motd && rootstrap -n root_fs) >out 2>&1
check "the plan runs modules/motd after uml" grep -q "motd" out
(cd motd && text="Built by rootstrap." ROOTSTRAP_TARGET=$TEST_TMP/motd/target \
    ./modules/motd)
check "the module writes the motd" \
    test "$(cat motd/target/etc/motd)" = "Built by rootstrap."

# The `run` examples, on (a link to) the suite's image, with a src/ that
# has the tests.sh they run.
img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
mkdir run && cd run || exit 1
ln -s "$img" root_fs
mkdir src
printf 'echo "tests ran in $(pwd)"\n' >src/tests.sh
readme_example run >run.sh
sh -ex run.sh >out 2>&1
check "the run examples run as written (status $?)" test $? = 0
show out 8
has_line "tests ran in /src" out
has "Reading package lists" out
has_line "src/tests.sh" out
cd .. || exit 1

nothing_left .
finish
