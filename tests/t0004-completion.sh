#!/bin/sh
# Bash completion: installed where bash-completion's loader finds it, it
# completes the commands and options rootstrap's help lists, config files
# after -c, the few words some options take, and files elsewhere.
. "$TEST_SRCDIR/libtest.sh"

bc=/usr/share/bash-completion/bash_completion
[ -f "$bc" ] || skip_all "bash-completion is not installed"
command -v bash >/dev/null || skip_all "no bash"

# Install it as make install does, into a staging directory.
inst=$TEST_TMP/inst
check "make installs the completion" \
    env -u MAKEFLAGS -u MFLAGS make -s -C "$TEST_BUILDDIR/.." \
    DESTDIR="$inst" install-dist_bashcompletionDATA
file=$(find "$inst" -path '*/share/bash-completion/completions/rootstrap')
check "it is under share/bash-completion/completions, named rootstrap" \
    test -n "$file" -a -f "$file"
datadir=${file%/bash-completion/completions/rootstrap}

# rootstrap on PATH, as the user types it.
mkdir bin
ln -s "$ROOTSTRAP" bin/rootstrap

# complete LINE: what TAB offers at the end of LINE, one word a line, in
# $TEST_TMP/out; bash-completion loads the completion on demand, from the
# installed file, as in an interactive shell.
complete_line() {
	PATH=$TEST_TMP/bin:$PATH XDG_DATA_DIRS=$datadir bash -c '
	. "$1"
	__load_completion rootstrap || { echo "not loaded"; exit 1; }
	line=$2
	read -ra COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	f=$(complete -p rootstrap | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
	"$f" rootstrap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	printf "%s\n" "${COMPREPLY[@]}"' bash "$bc" "$1" >"$TEST_TMP/out" 2>&1
}

# offers WORD... / offers_not WORD...: whole words in what was offered.
offers() {
	for w; do
		if grep -qxF -- "$w" "$TEST_TMP/out"; then
			ok "offers $w"
		else
			not_ok "does not offer $w"
			show "$TEST_TMP/out"
		fi
	done
}
offers_not() {
	for w; do
		if grep -qxF -- "$w" "$TEST_TMP/out"; then
			not_ok "offers $w"
			show "$TEST_TMP/out"
		else
			ok "does not offer $w"
		fi
	done
}

mkdir work work/adir
cd work || exit 99
: >my.conf
: >notes.txt

# The commands, from rootstrap's command table, and image files.
complete_line "rootstrap "
offers run boot cache check export fetch import help my.conf
offers_not --check rootstrap usage:
complete_line "rootstrap ru"
offers run
offers_not boot
complete_line "rootstrap help "
offers run import
offers_not my.conf

# Each command's own options.
complete_line "rootstrap --"
offers --config --log --no-cache --image-size --verbose
offers_not --snapshot --share
complete_line "rootstrap run --"
offers --snapshot --share --chdir --net --timeout
offers_not --no-cache --log
complete_line "rootstrap check -"
offers --run-kernel

# Option arguments: config files, transports, directories, cache verbs.
complete_line "rootstrap -c "
offers my.conf adir
offers_not notes.txt
complete_line "rootstrap --config=m"
offers my.conf
complete_line "rootstrap run -N "
offers user slirp none
offers_not my.conf
complete_line "rootstrap run -s "
offers adir
offers_not my.conf
complete_line "rootstrap -s "
offers_not my.conf adir
complete_line "rootstrap cache "
offers list clean
complete_line "rootstrap run -S root_fs -- "
offers_not my.conf run

# The command list is rootstrap's own: a program whose help lists another
# command has that one completed.
rm "$TEST_TMP/bin/rootstrap"
cat >"$TEST_TMP/bin/rootstrap" <<'EOF'
#!/bin/sh
echo "usage: rootstrap [-v] imagefile"
echo "       rootstrap frobnicate [-x] image"
echo "       rootstrap help [command]"
EOF
chmod +x "$TEST_TMP/bin/rootstrap"
complete_line "rootstrap "
offers frobnicate help
offers_not run

finish
