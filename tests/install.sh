#!/bin/sh
# install.sh - `make install DESTDIR=...` installs exactly the expected
# files, a second install keeps an edited runneld.conf, and uninstall
# removes everything but that edited config.
set -eu
: "${abs_top_builddir:?run from make check}"
MAKE=${MAKE:-make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
fail() { echo "FAIL: $*" >&2; exit 1; }

cd "$abs_top_builddir"
# A make of its own, not a part of the make check that runs this.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES || :
eval "$($MAKE -s --no-print-directory install-dirs | sed -n "/^[a-z_]*='/p")"
# Directory variables may refer to each other (${prefix}): resolve them.
for v in exec_prefix bindir sbindir libdir includedir datadir mandir docdir \
	sysconfdir localstatedir libexecdir bashcompletiondir; do
	for _ in 1 2 3 4; do eval "$v=\"\$(eval echo \"\$$v\")\""; done
done

static=
# The shared library's names as libtool made them (-version-info).
shared=$(cd lib/.libs && ls librunnel.so* | sed "s|^|$libdir/|")
[ -f lib/.libs/librunnel.a ] && static="$libdir/librunnel.a"
expected() {
	printf '%s\n' \
		"$bindir/runnel" \
		"$sbindir/runneld" \
		"$libexecdir/runnel/runneld-exec" \
		"$libdir/librunnel.la" \
		$shared \
		$static \
		"$libdir/pkgconfig/runnel.pc" \
		"$includedir/runnel.h" \
		"$datadir/runnel/runnel.proto" \
		"$sysconfdir/runnel/runneld.conf" \
		"$prefix/lib/systemd/system/runneld.service" \
		"$prefix/lib/systemd/system/runneld.socket" \
		"$prefix/lib/systemd/system/runneld-tls.socket" \
		"$prefix/lib/sysusers.d/runnel.conf" \
		"$prefix/lib/tmpfiles.d/runnel.conf" \
		"$mandir/man1/runnel.1" \
		"$mandir/man5/runneld.conf.5" \
		"$mandir/man8/runneld.8" \
		"$bashcompletiondir/runnel" \
		"$docdir/examples/runneld-local.conf" \
		"$docdir/PROTOCOL.md" \
		"$docdir/examples/client.py" \
		"$docdir/examples/gather.c" \
		"$docdir/examples/submit.c" | sort
}
installed() { (cd "$dest" && find . ! -type d | sed 's|^\.||' | sort); }

$MAKE -s install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "make install"; }
expected >"$tmp/expected"
installed >"$tmp/got"
diff -u "$tmp/expected" "$tmp/got" || fail "installed files differ (-expected +got)"

# The installed files point at the installed places.
conf=$dest$sysconfdir/runnel/runneld.conf
unit=$dest$prefix/lib/systemd/system/runneld.service
grep -q "^ExecStart=$sbindir/runneld .*-c $sysconfdir/runnel/runneld.conf\$" \
	"$unit" || fail "ExecStart in runneld.service: $(grep ExecStart "$unit")"
grep -q "^state_dir = $localstatedir/lib/runnel\$" "$conf" ||
	fail "state_dir in runneld.conf: $(grep state_dir "$conf")"
grep -q '^\.TH RUNNELD 8' "$dest$mandir/man8/runneld.8" ||
	fail "runneld.8 is not a manual"
[ -x "$dest$sbindir/runneld" ] && [ -x "$dest$bindir/runnel" ] ||
	fail "programs not executable"

# An edited config survives a second install; the new one lands beside it.
echo "# edited by the administrator" >>"$conf"
cp "$conf" "$tmp/edited"
$MAKE -s install DESTDIR="$dest" >"$tmp/install2.log" 2>&1 ||
	{ cat "$tmp/install2.log"; fail "second make install"; }
cmp -s "$conf" "$tmp/edited" || fail "second install overwrote the edited config"
[ -f "$conf.dist" ] || fail "no runneld.conf.dist beside the edited config"
grep -q 'edited by the administrator' "$conf.dist" &&
	fail "runneld.conf.dist is the edited file"

# Uninstall leaves the edited config and nothing else.
$MAKE -s uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1 ||
	{ cat "$tmp/uninstall.log"; fail "make uninstall"; }
installed >"$tmp/left"
echo "$sysconfdir/runnel/runneld.conf" >"$tmp/kept"
diff -u "$tmp/kept" "$tmp/left" || fail "uninstall left other files (-expected +got)"
cmp -s "$conf" "$tmp/edited" || fail "uninstall changed the edited config"

# An unedited config goes with uninstall.
rm -rf "$dest"
$MAKE -s install DESTDIR="$dest" >/dev/null 2>&1 || fail "third make install"
$MAKE -s uninstall DESTDIR="$dest" >/dev/null 2>&1 || fail "second uninstall"
[ -z "$(installed)" ] || fail "uninstall left: $(installed)"
echo "ok: $(wc -l <"$tmp/expected") files installed, edited config kept"
