#!/bin/sh
# systemd-security.sh - runneld.service's sandbox scores 2.0 or better in
# `systemd-analyze security` (lower is safer; Debian's systemd-resolved
# scores 2.2), the units parse, and the sysusers.d and tmpfiles.d snippets
# make the runnel user and its directories.  Skips (77) only without
# systemd-analyze: .ci/deps installs the systemd package.
set -eu
: "${abs_top_builddir:?run from make check}"
: "${abs_top_srcdir:?run from make check}"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found (apt-get install systemd)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-security.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The unit as built, under its own name (systemd-analyze takes the unit's
# name from the file's).
cp "$abs_top_builddir/systemd/runneld.service" "$tmp/runneld.service"
cp "$abs_top_srcdir/systemd/runneld.socket" \
	"$abs_top_srcdir/systemd/runneld-tls.socket" "$tmp/"

# --threshold is in tenths: 20 is an exposure of 2.0.
if ! systemd-analyze security --offline=yes --threshold=20 --no-pager \
	"$tmp/runneld.service" >"$tmp/out" 2>&1; then
	cat "$tmp/out"
	echo "FAIL: runneld.service is more exposed than 2.0"
	exit 1
fi
grep 'Overall exposure level' "$tmp/out"

# Peers on the unix socket are known by uid: in a private user namespace
# all but root and runnel would read as nobody.
if grep -q '^PrivateUsers=yes' "$tmp/runneld.service"; then
	echo "FAIL: PrivateUsers=yes hides the unix socket peers' uids"
	exit 1
fi

# A unit the analyzer scores worse must fail the threshold: the check is
# real, not a pass by default.
sed -e '/^CapabilityBoundingSet=/d' -e '/^User=/d' -e '/^Protect/d' \
	-e '/^Private/d' "$tmp/runneld.service" >"$tmp/weak.service"
if systemd-analyze security --offline=yes --threshold=20 --no-pager \
	"$tmp/weak.service" >/dev/null 2>&1; then
	echo "FAIL: a weakened unit passed the threshold"
	exit 1
fi

# Every directive is one systemd knows (offline: no running systemd).
for u in runneld.service runneld.socket runneld-tls.socket; do
	if systemd-analyze verify --man=no "$tmp/$u" 2>&1 |
		grep -E 'Unknown key|Unknown section|Invalid|Failed to parse'; then
		echo "FAIL: $u does not parse"
		exit 1
	fi
done

# sysusers.d makes runnel, tmpfiles.d its directories, in a scratch root
# (chown needs root: skipped otherwise).
if [ "$(id -u)" -eq 0 ] && command -v systemd-sysusers >/dev/null &&
	command -v systemd-tmpfiles >/dev/null; then
	mkdir -p "$tmp/root/etc"
	systemd-sysusers --root="$tmp/root" \
		"$abs_top_srcdir/systemd/runnel.sysusers" >/dev/null 2>&1
	uid=$(awk -F: '$1 == "runnel" { print $3 ":" $4 }' \
		"$tmp/root/etc/passwd")
	[ -n "$uid" ] || { echo "FAIL: sysusers made no runnel user"; exit 1; }
	# Its tasks start in its home: not the state directory.
	home=$(awk -F: '$1 == "runnel" { print $6 }' "$tmp/root/etc/passwd")
	[ "$home" = / ] || { echo "FAIL: runnel's home is $home, not /"; exit 1; }
	systemd-tmpfiles --root="$tmp/root" --create \
		"$abs_top_srcdir/systemd/runnel.tmpfiles"
	got=$(stat -c '%a %u:%g' "$tmp/root/var/lib/runnel" \
		"$tmp/root/run/runnel" | tr '\n' ' ')
	if [ "$got" != "700 $uid 755 $uid " ]; then
		echo "FAIL: tmpfiles made: $got (want 700 $uid 755 $uid)"
		exit 1
	fi
else
	echo "note: sysusers/tmpfiles not tried (needs root)"
fi
echo "ok"
