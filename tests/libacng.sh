# libacng.sh: Debian's apt-cacher-ng, the caching proxy a user would put
# between rootstrap and the mirror, run by a test. Source it after
# libnet.sh (whose net_cleanup kills it by PID at exit).
#
# It is a process the test starts and owns: in the foreground, with its
# own configuration, cache, log and socket under DIR, on 127.0.0.1 and a
# free port. The system's instance (the package's service, port 3142,
# /etc/apt-cacher-ng, /var/cache/apt-cacher-ng, /run/apt-cacher-ng) is
# neither used nor disturbed.

ACNG=/usr/sbin/apt-cacher-ng
ACNG_PORT=

# Skip the whole test without the package.
acng_require() {
	[ -x "$ACNG" ] || skip_all "needs apt-cacher-ng (apt-get install apt-cacher-ng)"
	command -v curl >/dev/null || skip_all "needs curl"
}

# acng_start DIR [SETTING=VALUE...]: configure apt-cacher-ng in DIR and
# start it, with the settings (its acng.conf names) added to DIR/conf/acng.conf.
# Sets ACNG_PORT, ACNG_PID and ACNG_LOG (its transfer log). Returns 1 if
# it did not come up. Restarted (after acng_stop), it takes the same port
# again where it can.
#
# The port is below 32768: apt-cacher-ng 3.7 refuses a higher one ("Error
# resolving address for binding"). A port taken meanwhile does not stop
# it (it keeps its unix socket), so its own answer on the port is awaited
# and its complaints about binding are looked for.
acng_start() {
	acng_dir=$1
	shift
	mkdir -p "$acng_dir/conf" "$acng_dir/cache" "$acng_dir/log"
	# The package's own remapping of Debian mirrors, with deb.debian.org
	# as the one backend: every mirror's URLs share one cache.
	echo http://deb.debian.org/debian/ >"$acng_dir/conf/backends_debian"
	cat >"$acng_dir/conf/acng.conf" <<ACNG
CacheDir: $acng_dir/cache
LogDir: $acng_dir/log
SupportDir: /usr/lib/apt-cacher-ng
SocketPath: $acng_dir/socket
BindAddress: 127.0.0.1
ForeGround: 1
UnbufferLogs: 1
VerboseLog: 1
Remap-debrep: file:deb_mirror*.gz /debian ; file:backends_debian
ACNG
	for s in "$@"; do
		echo "${s%%=*}: ${s#*=}" >>"$acng_dir/conf/acng.conf"
	done
	ACNG_LOG=$acng_dir/log/apt-cacher.log
	acng_again=${ACNG_PORT:-}
	for try in 1 2 3 4 5; do
		if [ -n "$acng_again" ]; then
			ACNG_PORT=$acng_again
			acng_again=
		else
			ACNG_PORT=$(acng_free_port) || return 1
		fi
		: >"$acng_dir/stderr"
		"$ACNG" -c "$acng_dir/conf" "Port=$ACNG_PORT" \
		    >>"$acng_dir/stderr" 2>&1 &
		ACNG_PID=$!
		net_pids="$net_pids $ACNG_PID"
		for i in $(seq 50); do
			kill -0 "$ACNG_PID" 2>/dev/null || break
			grep -q "bind" "$acng_dir/stderr" && break
			if curl -s --noproxy '*' --max-time 2 "http://127.0.0.1:$ACNG_PORT/" |
			    grep -q "Apt-Cacher NG"; then
				return 0
			fi
			sleep 0.1
		done
		kill -KILL "$ACNG_PID" 2>/dev/null
		wait "$ACNG_PID" 2>/dev/null
	done
	echo "# apt-cacher-ng did not start:"
	sed 's/^/#   /' "$acng_dir/stderr"
	return 1
}

# A port on 127.0.0.1 nobody listens on, between 20000 and 32767.
acng_free_port() {
	"$PYTHON3" -c '
import random, socket
for _ in range(100):
    p = random.randrange(20000, 32768)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    raise SystemExit(1)
'
}

# acng_stop: stop it (its cache and log stay), and wait for it to end.
acng_stop() {
	kill "$ACNG_PID" 2>/dev/null
	wait "$ACNG_PID" 2>/dev/null
}
