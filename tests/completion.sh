#!/bin/bash
# completion.sh - the bash completion completes verbs, global and verb
# options, sub-verbs, signal names, files and a task's command.  Skips (77)
# without bash-completion (.ci/deps installs it).
set -u
: "${abs_top_srcdir:?run from make check}"
bc=/usr/share/bash-completion/bash_completion
if [ ! -r "$bc" ]; then
	echo "SKIP: $bc not found (apt-get install bash-completion)"
	exit 77
fi
# shellcheck disable=SC1090
source "$bc"
source "$abs_top_srcdir/completions/runnel"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runnel-completion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/alice.crt" "$tmp/alice.key"
failed=0

# expect "WANTED REPLIES" WORD...: complete the last word of the line.
expect() {
	local want=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_runnel 2>/dev/null
	local got
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ')
	got=${got% }
	if [ "$got" != "$want" ]; then
		echo "FAIL: [$*]: want '$want', got '$got'"
		failed=1
	fi
}

expect "cancel clean" runnel c
expect "wait watch" runnel w
expect "--ca --cert --config" runnel --c
expect "wait watch" runnel --host h wa
expect "--no-follow" runnel watch --n
expect "--first-completed --first-failure" runnel wait --first
expect "--delay --detach-on-interrupt" runnel run --de
expect "--delay" runnel submit --de
expect "--after --after-any" runnel submit --af
expect "--older-than" runnel clean --o
expect "KILL" runnel cancel --signal K
expect "list" runnel queue l
expect "init issue" runnel pki i
expect "--out --owner" runnel pki issue dir alice --o
expect "root" runnel pki issue dir alice --out d --owner roo
expect "root" runnel pki init dir --name h --group roo
expect "$tmp/alice.crt" runnel --cert "$tmp/alice.c"
expect "" runnel submit --queue b
# After "--" comes the task's own command line.
expect "mktemp" runnel run --name x -- mktem
# Each verb completes exactly the options its --help lists (and --help).
: "${RUNNEL:?run from make check}"
for verb in run submit watch cancel wait list show restart logs clean queue \
    status pki; do
	want=$("$RUNNEL" "$verb" --help | grep -o -- '--[a-z][a-z-]*' |
		sort -u | tr '\n' ' ')
	expect "$(printf '%s\n' $want --help | sort -u | tr '\n' ' ' |
		sed 's/ $//')" runnel "$verb" --
done
[ $failed -eq 0 ] && echo ok
exit $failed
