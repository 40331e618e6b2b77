#!/bin/sh
# README.md's "From another project's test suite", as a new user would
# follow it: its fixture.conf, its Makefile's rules around a small project
# (built with the fixture's gcc, installed, tested as root) and its
# single shell test, extracted from README.md and run as written.
. "$TEST_SRCDIR/libtest.sh"

# rootstrap as installed: the shipped system file under the example's.
export ROOTSTRAP_SYSTEM_CONF=$TEST_SRCDIR/../conf/rootstrap.conf
mkdir bin
ln -s "$ROOTSTRAP" bin/rootstrap
PATH=$TEST_TMP/bin:$PATH

mkdir -p project/tests && cd project || exit 1
readme_example fixture-conf >tests/fixture.conf
# The project under test: the example's rules and the project's own.
{
	readme_example fixture-make
	printf '\nall: hello\n\t./hello >out.txt\n'
	printf 'hello: hello.c\n\tcc -o hello hello.c\n'
	printf 'clean:\n\trm -f hello out.txt\n'
	printf 'install: hello\n\tinstall -m 755 hello /usr/local/bin/hello\n'
} >Makefile
cat >hello.c <<'C'
#include <stdio.h>
int main(void) { puts("hello 1.0"); return 0; }
C
cat >tests/as-root.sh <<'SH'
#!/bin/sh
[ "$(id -u)" = 0 ] && [ "$(/usr/local/bin/hello)" = "hello 1.0" ] &&
    [ -s out.txt ] && echo "as-root: ok"
SH
chmod +x tests/as-root.sh

make check-root >make.out 2>&1
check "make check-root builds the fixture and passes (status $?)" test $? = 0
show make.out 10
has_line "as-root: ok" make.out
check "the build in the guest left the source tree as it was" \
    test ! -e hello -a ! -e out.txt
check_e2fsck() { e2fsck -fn tests/fixture.img; }
check "the fixture is a clean filesystem" check_e2fsck

readme_example fixture-test >single-test.sh
sh -e single-test.sh >single.out 2>&1
check "the single shell test passes as written (status $?)" test $? = 0
show single.out 5

cd .. || exit 1
nothing_left project
finish
