#!/bin/sh
# man.sh - each manual formats cleanly (groff's warnings are errors, but for
# lines too long to adjust, which long install paths make), and
# names every verb, option and config key the programs know.
set -eu
: "${abs_top_builddir:?run from make check}"
: "${RUNNEL:?}" "${RUNNELD:?}"
man=$abs_top_builddir/docs/man
if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: groff not found"
	exit 77
fi
for page in runneld.8 runnel.1 runneld.conf.5; do
	warn=$(groff -man -Tutf8 -ww -Wbreak -z "$man/$page" 2>&1 || echo failed)
	if [ -n "$warn" ]; then
		echo "FAIL: $page: $warn"
		exit 1
	fi
done
# man -l shows them, as an installed manual would be.
if command -v man >/dev/null 2>&1; then
	for page in runneld.8 runnel.1 runneld.conf.5; do
		MANWIDTH=80 man -l "$man/$page" 2>&1 | grep -q '^NAME' ||
			{ echo "FAIL: man -l $page"; exit 1; }
	done
fi
text() { groff -man -Tascii -P-cbou "$man/$1" 2>/dev/null; }
missing=
# Every verb, and every long option of runnel and each verb's --help.
verbs=$("$RUNNEL" --help | sed -n '/^commands:/,/^$/p' |
	sed -n 's/^  \([a-z]*\).*/\1/p')
[ -n "$verbs" ] || { echo "FAIL: no verbs in runnel --help"; exit 1; }
for v in $verbs; do
	text runnel.1 | grep -q "^ *$v\b" || missing="$missing runnel.1:verb:$v"
	for o in $("$RUNNEL" $v --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		text runnel.1 | grep -q -- "$o\b" || missing="$missing runnel.1:$v:$o"
	done
done
for o in $("$RUNNEL" --help | grep -o -- '--[a-z][a-z-]*' | sort -u) \
	RUNNEL_HOST RUNNEL_CA RUNNEL_CERT RUNNEL_KEY RUNNEL_CONFIG; do
	text runnel.1 | grep -q -- "$o\b" || missing="$missing runnel.1:$o"
done
for o in $("$RUNNELD" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	text runneld.8 | grep -q -- "$o\b" || missing="$missing runneld.8:$o"
done
# And the other way: every option runneld(8) documents, runneld --help
# lists, so the help leaves none out.
for o in $(text runneld.8 | sed -n '/^OPTIONS/,/^CONFIGURATION/p' |
	grep -o -- '--[a-z][a-z-]*' | sort -u); do
	"$RUNNELD" --help | grep -q -- "$o\b" || missing="$missing runneld--help:$o"
done
# Every key of the shipped config, commented or not.
for k in $(sed -n 's/^[#;]* *\([a-z_]*\) = .*/\1/p' \
	"${abs_top_srcdir:-.}/conf/runneld.conf" | sort -u); do
	text runneld.conf.5 | grep -q "^ *$k\b" ||
		missing="$missing runneld.conf.5:$k"
done
if [ -n "$missing" ]; then
	echo "FAIL: not in the manuals:$missing"
	exit 1
fi
echo ok
