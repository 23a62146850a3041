#!/bin/bash
# readme.sh - walk README.md literally: every command of its ```sh blocks,
# in order, as written, once as root and once as a normal user with sudo,
# on a machine as fresh as this one can be made without touching it.
#
# The commands are extracted from README.md itself, so the README cannot
# drift from what works.  They run in private namespaces (mount, network,
# pid): /etc, /usr, /var, /home, /root, /opt and /srv are overlays whose
# writes vanish with the test, /run and /tmp are empty tmpfs, and the
# loopback is the namespace's own.  So `sudo make install` really installs
# into /usr, the sysusers.d snippet really adds the user runnel, and
# runneld really runs as that user with the installed unit's paths.
#
# The walker's checkout is a copy of this build tree: the state the one
# install command (bash .ci/demo: deps, autoreconf, configure, make) leaves.
# What cannot run here is listed below with the reason (readme_skip), and
# printed; systemctl, without systemd as PID 1, is replaced by a stand-in
# that starts and reloads runneld.service as the installed unit says (its
# User=, Group=, UMask=, ExecStart=, StateDirectory=, RuntimeDirectory=),
# passing it the socket of the installed runneld.socket.
# A command that fails fails the test, naming its README line.
#
# READMEWALK_USERS="root user" (the default) chooses the walks.
set -euo pipefail
: "${abs_top_srcdir:?run from make check}"
: "${abs_top_builddir:?run from make check}"
readme=$abs_top_srcdir/README.md
walker=readme-walker
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# A command the walk does not run: print why, or fail if it is run.
readme_skip() {
	case $1 in
	"bash .ci/demo"*)
		echo "the one install command (apt-get, then the build this" \
		    "test copies); CI runs it";;
	"bash .ci/test"*)
		echo "the whole suite, of which this test is a part";;
	"autoreconf -fi && ./configure && make && make check"*)
		echo "done by the build this test copies; make check would" \
		    "run this test again";;
	"./configure --enable-sanitizers"*)
		echo "CI's sanitizer build (.ci/run)";;
	"make distcheck"*)
		echo "CI runs it; minutes of building";;
	"bench/"* | "make bench"* | "bash bench/"*)
		echo "a benchmark: minutes of CPU, not a check";;
	*)
		return 1;;
	esac
}

# "LINE<TAB>COMMAND" for each command of README.md's ```sh blocks; a line
# ending in a backslash goes on in the next one.
readme_commands() {
	awk '
	/^```sh[[:space:]]*$/ { insh = 1; next }
	/^```/ { insh = 0; next }
	!insh { next }
	{
		if (cont != "") { cmd = cmd "\n" $0 } else { cmd = $0; no = NR }
		if ($0 ~ /\\$/) { cont = 1; next }
		cont = ""
		if (cmd ~ /^[[:space:]]*(#|$)/) next
		gsub(/\t/, " ", cmd)
		printf "%d\t%s\n", no, cmd
	}' "$1"
}

if [ "${1:-}" = --list ]; then
	readme_commands "$readme"
	exit 0
fi

[ "$(id -u)" -eq 0 ] ||
	skip "needs root (namespaces, overlays, a user of its own); CI runs it as root"
[ "$abs_top_srcdir" = "$abs_top_builddir" ] ||
	skip "needs a build in the checkout, as the README makes"
for t in unshare sudo setpriv runuser useradd systemd-sysusers \
    systemd-tmpfiles ip man; do
	command -v "$t" >/dev/null ||
		skip "$t is not installed (bash .ci/deps installs what the README needs)"
done
unshare -m -n -p -f --mount-proc true 2>/dev/null ||
	skip "cannot make private namespaces here"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-readme.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The walk: one bash running every command in order, so that cd, export
# and variables carry over as they would in a terminal.
{
	echo 'set -eEo pipefail'
	echo 'trap '\''st=$?; echo "readme.sh: FAIL: README.md:$readme_line (exit $st): $readme_cmd" >&2; exit 1'\'' ERR'
	echo 'cd ~/runnel'
	readme_commands "$readme" | while IFS=$'\t' read -r no cmd; do
		if why=$(readme_skip "$cmd"); then
			printf 'echo %q\n' "- README.md:$no: skipped: $cmd  ($why)"
			continue
		fi
		printf 'readme_line=%d readme_cmd=%q\n' "$no" "$cmd"
		printf 'echo %q\n' "+ README.md:$no: $cmd"
		printf '%s\n' "$cmd"
	done
	echo 'echo "readme.sh: walked README.md to the end as $(id -un)"'
} >"$tmp/walk.sh"

# systemctl for the walk, as root (through sudo): runneld.service from
# the installed unit, started as its own user, given runneld.socket's
# socket as systemd would.
cat >"$tmp/systemctl" <<'EOF'
#!/bin/bash
set -euo pipefail
unit=/usr/lib/systemd/system/runneld.service
sock=/usr/lib/systemd/system/runneld.socket
log=/run/readme-walk/runneld.log
pidf=/run/readme-walk/runneld.pid
key() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
# Wait until the log has more than n lines matching re, or runneld died.
wait_log() {
	local re=$1 n=$2 i
	for i in $(seq 600); do
		[ "$(grep -c -- "$re" "$log" || :)" -gt "$n" ] && return 0
		kill -0 "$(cat "$pidf")" 2>/dev/null || break
		sleep 0.05
	done
	echo "systemctl (readme.sh): runneld: no '$re'; its log:" >&2
	cat "$log" >&2
	exit 1
}
start() {
	local user group
	user=$(key User) group=$(key Group)
	install -d -m "$(key StateDirectoryMode)" -o "$user" -g "$group" \
		"/var/lib/$(key StateDirectory)"
	install -d -m "$(key RuntimeDirectoryMode)" -o "$user" -g "$group" \
		"/run/$(key RuntimeDirectory)"
	mkdir -p /run/readme-walk
	: >"$log"
	# runneld.socket: its socket, passed as systemd passes it (fd 3,
	# LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID of the exec'd runneld).
	(cd / && exec /usr/bin/python3 - "$sock" "$user" "$group" \
		"$(key UMask)" "$(key ExecStart)" >>"$log" 2>&1 <<'PY'
import grp, os, pwd, socket, sys
unit = open(sys.argv[1]).read().splitlines()
k = dict(l.split("=", 1) for l in unit if "=" in l and not l.startswith("#"))
path, user, group, umask, cmd = k["ListenStream"], *sys.argv[2:6]
os.makedirs(os.path.dirname(path), mode=int(k["DirectoryMode"], 8),
	    exist_ok=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
if os.path.exists(path):
	os.unlink(path)
s.bind(path)
os.chown(path, pwd.getpwnam(k["SocketUser"]).pw_uid,
	 grp.getgrnam(k["SocketGroup"]).gr_gid)
os.chmod(path, int(k["SocketMode"], 8))
s.listen(128)
if os.fork() != 0:
	os._exit(0)
if s.fileno() != 3:
	os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
env = ["env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
       "LANG=C.UTF-8", "LISTEN_FDS=1", "LISTEN_PID=%d" % os.getpid(),
       "LISTEN_FDNAMES=" + k["FileDescriptorName"]]
os.execvp("setpriv", ["setpriv", "--reuid=" + user, "--regid=" + group,
	  "--init-groups"] + env + ["sh", "-c", "umask %s; exec %s" % (umask, cmd)])
PY
	)
	pid=$(wait_pid)
	echo "$pid" >"$pidf"
	wait_log 'ready, pid' 0
	grep -q 'socket activation: 1 sockets passed, in place of \[server\] socket' "$log" ||
		{ cat "$log" >&2; exit 1; }
	echo "systemctl (readme.sh): started runneld.service as $user:" \
		"$(key ExecStart), with runneld.socket's socket"
}
# runneld's pid, once it logs it.
wait_pid() {
	local i
	for i in $(seq 600); do
		sed -n 's/.*ready, pid \([0-9]*\).*/\1/p' "$log" | grep . && return
		sleep 0.05
	done
	cat "$log" >&2
	exit 1
}
reload() {
	local n
	n=$(grep -c 'reloaded \|reload failed' "$log" || :)
	kill -HUP "$(cat "$pidf")"
	wait_log 'reloaded \|reload failed' "$n"
	if grep 'reload failed' "$log" | tail -n +"$((n + 1))" | grep -q .; then
		cat "$log" >&2
		exit 1
	fi
	echo "systemctl (readme.sh): reloaded runneld.service"
}
case "$*" in
"enable --now runneld.socket runneld.service")
	start;;
"reload runneld" | "reload runneld.service")
	reload;;
*)
	echo "systemctl (readme.sh): not emulated: $*" >&2
	exit 1;;
esac
EOF
chmod 0755 "$tmp/systemctl"

# Inside the namespaces, as root: make the machine fresh, then walk as $1.
cat >"$tmp/inner.sh" <<'EOF'
#!/bin/bash
set -euo pipefail
who=$1 tmp=$2 tree=$3 files=$4
for d in etc usr var home root opt srv; do
	[ -d "/$d" ] || continue
	mkdir -p "$tmp/ovl/$d.u" "$tmp/ovl/$d.w"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$tmp/ovl/$d.u,workdir=$tmp/ovl/$d.w" "/$d"
done
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/lock /run/readme-walk
ip link set lo up
# Nothing of runnel's may be there before: this is a fresh machine.
for p in /etc/runnel /var/lib/runnel /run/runnel /usr/sbin/runneld /usr/bin/runnel; do
	[ ! -e "$p" ] || { echo "FAIL: $p exists before the walk" >&2; exit 1; }
done
install -m 0755 "$files/systemctl" /usr/bin/systemctl
cp "$files/walk.sh" /run/readme-walk/walk.sh
if [ "$who" = root ]; then
	user=root home=/root
	path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
else
	user=readme-walker
	useradd -m -s /bin/bash "$user"
	echo "$user ALL=(ALL) NOPASSWD: ALL" >/etc/sudoers.d/readme-walker
	home=$(getent passwd "$user" | cut -d: -f6)
	path=/usr/local/bin:/usr/bin:/bin
fi
# The checkout as the one install command leaves it.
mkdir "$home/runnel"
# Not the demo's state, nor the logs of the tests running beside this one.
(cd "$tree" && tar --exclude=./demo-state --exclude='*.log' --exclude='*.trs' \
	--warning=no-file-changed -cf - . || [ $? -eq 1 ]) | tar -C "$home/runnel" -xf -
chown -R "$user:" "$home/runnel"
mount -t tmpfs -o mode=1777 tmpfs /tmp
rc=0
runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
	SHELL=/bin/bash PATH="$path" LANG=C.UTF-8 TERM=dumb MAKEFLAGS=-j2 \
	bash /run/readme-walk/walk.sh || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "--- runneld's log:" >&2
	cat /run/readme-walk/runneld.log >&2 || :
	exit "$rc"
fi
# A fresh install started before the PKI existed: runneld said how to
# make it, and took it on reload.
log=/run/readme-walk/runneld.log
grep -q "tls: /var/lib/runnel/pki/server.crt is missing; make it with 'runnel pki init /var/lib/runnel/pki --name HOST --group runnel' as root, then reload runneld (TLS listener off until then)" "$log" ||
	{ echo "FAIL: no PKI hint in runneld's log:" >&2; cat "$log" >&2; exit 1; }
grep -q 'reloaded /etc/runnel/runneld.conf' "$log" ||
	{ echo "FAIL: no reload in runneld's log" >&2; exit 1; }
runs_as=$(ps -o user= -p "$(cat /run/readme-walk/runneld.pid)")
[ "$runs_as" = runnel ] ||
	{ echo "FAIL: runneld runs as '$runs_as', not as the unit's runnel" >&2; exit 1; }
echo "ok: runneld ran as $runs_as, hinted at the PKI, took it on reload"
EOF

unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES || :
echo "README.md, skipped commands:"
readme_commands "$readme" | while IFS=$'\t' read -r no cmd; do
	if why=$(readme_skip "$cmd"); then
		echo "  README.md:$no: $cmd  ($why)"
	fi
done
echo "  systemctl: emulated, no systemd as PID 1 here (see the top of this file)"
for who in ${READMEWALK_USERS:-root user}; do
	echo "=== the README as $who"
	mkdir -p "$tmp/$who"
	unshare -m -n -p -f --mount-proc --propagation private \
		bash "$tmp/inner.sh" "$who" "$tmp/$who" "$abs_top_builddir" "$tmp" ||
		fail "the README walked as $who (see above)"
done
echo "ok: README.md walked as ${READMEWALK_USERS:-root user}"
